import type { AllowRuleSpec, SecretRuleSpec } from './rule';

/*
 * Trivy's built-in secret rules and allow rules (aquasecurity/trivy pkg/fanal/secret
 * builtin-rules.go and builtin-allow-rules.go, Apache-2.0, Copyright Aqua Security), transcribed
 * as data: ids, categories, titles, severities, Go regular expressions and keywords are Trivy's
 * so that findings, ignore files and secret configs written for Trivy carry over unchanged.
 * Order matters only for reading; findings are sorted by rule id.
 */

const quote = `["']?`;
const connect = String.raw`\s*(:|=>|=)?\s*`;
const endSecret = String.raw`[.,]?(\s+|$)`;
const startWord = '([^0-9a-zA-Z_]|^)';
const endWord = '([^0-9a-zA-Z_]|$)';
const aws = 'aws_?';

/** Trivy's MustCompileWithoutWordPrefix: the token may not continue a word on its left. */
const withoutWordPrefix = (pattern: string): string => `${startWord}(${pattern})`;
/** Trivy's MustCompileWithBoundaries: nor on its right. */
const withBoundaries = (pattern: string): string => `${startWord}(${pattern})${endWord}`;

/** The `<vendor>... = "<secret>"` shape shared by many vendor rules. */
function assignment(keyword: string, secret: string): string {
  return String.raw`(?i)(?P<key>${keyword}[a-z0-9_ .\-,]{0,25})(=|>|:=|\|\|:|<=|=>|:).{0,5}['\"](?P<secret>${secret})['\"]`;
}

type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | '';

function vendor(id: string, category: string, title: string, severity: Severity, keyword: string, secret: string): SecretRuleSpec {
  return { id, category, title, severity, regex: assignment(keyword, secret), secretGroupName: 'secret', keywords: [keyword] };
}

function rule(id: string, category: string, title: string, severity: Severity, regex: string, keywords: string[], secretGroupName?: string): SecretRuleSpec {
  return { id, category, title, severity, regex, keywords, ...(secretGroupName ? { secretGroupName } : {}) };
}

const UUID_AH = '[a-h0-9]{8}-[a-h0-9]{4}-[a-h0-9]{4}-[a-h0-9]{4}-[a-h0-9]{12}';
const MAVEN_SETTINGS = String.raw`(?i)(^|[/\\])settings\.xml$`;

export const BUILTIN_RULES: readonly SecretRuleSpec[] = [
  rule(
    'aws-access-key-id',
    'AWS',
    'AWS Access Key ID',
    'CRITICAL',
    withoutWordPrefix(`(?P<secret>(A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16})${quote}${endSecret}`),
    ['AKIA', 'AGPA', 'AIDA', 'AROA', 'AIPA', 'ANPA', 'ANVA', 'ASIA'],
    'secret',
  ),
  rule(
    'aws-secret-access-key',
    'AWS',
    'AWS Secret Access Key',
    'CRITICAL',
    String.raw`(?i)${quote}${aws}(sec(ret)?)?_?(access)?_?key${quote}${connect}${quote}(?P<secret>[A-Za-z0-9\/\+=]{40})${quote}${endSecret}`,
    ['key'],
    'secret',
  ),
  rule('github-pat', 'GitHub', 'GitHub Personal Access Token', 'CRITICAL', withoutWordPrefix('?P<secret>ghp_[0-9a-zA-Z]{36}'), ['ghp_'], 'secret'),
  rule('github-oauth', 'GitHub', 'GitHub OAuth Access Token', 'CRITICAL', withoutWordPrefix('?P<secret>gho_[0-9a-zA-Z]{36}'), ['gho_'], 'secret'),
  // ghs_ installation tokens have a stateless format since 2026-04 (ghs_<APPID>_<JWT>).
  rule('github-app-token', 'GitHub', 'GitHub App Token', 'CRITICAL', withoutWordPrefix('?P<secret>(?:ghu_[0-9a-zA-Z]{36}|ghs_[0-9a-zA-Z._-]{36,})'), ['ghu_', 'ghs_'], 'secret'),
  rule('github-refresh-token', 'GitHub', 'GitHub Refresh Token', 'CRITICAL', withoutWordPrefix('?P<secret>ghr_[0-9a-zA-Z]{76}'), ['ghr_'], 'secret'),
  rule('github-fine-grained-pat', 'GitHub', 'GitHub Fine-grained personal access tokens', 'CRITICAL', 'github_pat_[a-zA-Z0-9]{22}_[a-zA-Z0-9]{59}', ['github_pat_']),
  rule('gitlab-pat', 'GitLab', 'GitLab Personal Access Token', 'CRITICAL', withoutWordPrefix(String.raw`?P<secret>glpat-[0-9a-zA-Z\-\_]{20}`), ['glpat-'], 'secret'),
  rule('hugging-face-access-token', 'HuggingFace', 'Hugging Face Access Token', 'CRITICAL', withBoundaries('?P<secret>hf_[A-Za-z0-9]{34,40}'), ['hf_'], 'secret'),
  rule(
    'private-key',
    'AsymmetricPrivateKey',
    'Asymmetric Private Key',
    'HIGH',
    String.raw`(?i)-----\s*?BEGIN[ A-Z0-9_-]*?PRIVATE KEY( BLOCK)?\s*?-----[\s]*?(?P<secret>[A-Za-z0-9=+/\\][A-Za-z0-9=+/\\\s]{30,}[A-Za-z0-9=+/\\])[\s]*?-----\s*?END[ A-Z0-9_-]*? PRIVATE KEY( BLOCK)?\s*?-----`,
    ['-----'],
    'secret',
  ),
  rule('shopify-token', 'Shopify', 'Shopify token', 'HIGH', 'shp(ss|at|ca|pa)_[a-fA-F0-9]{32}', ['shpss_', 'shpat_', 'shpca_', 'shppa_']),
  rule('slack-access-token', 'Slack', 'Slack token', 'HIGH', withoutWordPrefix('?P<secret>xox[baprs]-([0-9a-zA-Z]{10,48})'), ['xoxb-', 'xoxa-', 'xoxp-', 'xoxr-', 'xoxs-'], 'secret'),
  rule('stripe-publishable-token', 'Stripe', 'Stripe Publishable Key', 'LOW', withoutWordPrefix('?P<secret>(?i)pk_(test|live)_[0-9a-z]{10,32}'), ['pk_test_', 'pk_live_'], 'secret'),
  rule('stripe-secret-token', 'Stripe', 'Stripe Secret Key', 'CRITICAL', withoutWordPrefix('?P<secret>(?i)sk_(test|live)_[0-9a-z]{10,32}'), ['sk_test_', 'sk_live_'], 'secret'),
  rule('pypi-upload-token', 'PyPI', 'PyPI upload token', 'HIGH', String.raw`pypi-AgEIcHlwaS5vcmc[A-Za-z0-9\-_]{50,1000}`, ['pypi-AgEIcHlwaS5vcmc']),
  rule('gcp-service-account', 'Google', 'Google (GCP) Service-account', 'CRITICAL', String.raw`\"type\": \"service_account\"`, ['"type": "service_account"']),
  rule(
    'heroku-api-key',
    'Heroku',
    'Heroku API Key',
    'HIGH',
    String.raw` (?i)(?P<key>heroku[a-z0-9_ .\-,]{0,25})(=|>|:=|\|\|:|<=|=>|:).{0,5}['\"](?P<secret>[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12})['\"]`,
    ['heroku'],
    'secret',
  ),
  rule('slack-web-hook', 'Slack', 'Slack Webhook', 'MEDIUM', String.raw`https:\/\/hooks.slack.com\/services\/[A-Za-z0-9+\/]{44,48}`, ['hooks.slack.com']),
  rule('twilio-api-key', 'Twilio', 'Twilio API Key', 'MEDIUM', 'SK[0-9a-fA-F]{32}', ['SK']),
  rule('age-secret-key', 'Age', 'Age secret key', 'MEDIUM', 'AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}', ['AGE-SECRET-KEY-1']),
  vendor('facebook-token', 'Facebook', 'Facebook token', 'LOW', 'facebook', '[a-f0-9]{32}'),
  vendor('twitter-token', 'Twitter', 'Twitter token', 'LOW', 'twitter', '[a-f0-9]{35,44}'),
  vendor('adobe-client-id', 'Adobe', 'Adobe Client ID (Oauth Web)', 'LOW', 'adobe', '[a-f0-9]{32}'),
  rule('adobe-client-secret', 'Adobe', 'Adobe Client Secret', 'LOW', '(p8e-)(?i)[a-z0-9]{32}', ['p8e-']),
  rule('alibaba-access-key-id', 'Alibaba', 'Alibaba AccessKey ID', 'HIGH', '([^0-9A-Za-z]|^)(?P<secret>(LTAI)(?i)[a-z0-9]{20})([^0-9A-Za-z]|$)', ['LTAI'], 'secret'),
  vendor('alibaba-secret-key', 'Alibaba', 'Alibaba Secret Key', 'HIGH', 'alibaba', '[a-z0-9]{30}'),
  vendor('asana-client-id', 'Asana', 'Asana Client ID', 'MEDIUM', 'asana', '[0-9]{16}'),
  vendor('asana-client-secret', 'Asana', 'Asana Client Secret', 'MEDIUM', 'asana', '[a-z0-9]{32}'),
  vendor('atlassian-api-token', 'Atlassian', 'Atlassian API token', 'HIGH', 'atlassian', '[a-z0-9]{24}'),
  vendor('bitbucket-client-id', 'Bitbucket', 'Bitbucket client ID', 'HIGH', 'bitbucket', '[a-z0-9]{32}'),
  vendor('bitbucket-client-secret', 'Bitbucket', 'Bitbucket client secret', 'HIGH', 'bitbucket', String.raw`[a-z0-9_\-]{64}`),
  vendor('beamer-api-token', 'Beamer', 'Beamer API token', 'LOW', 'beamer', String.raw`b_[a-z0-9=_\-]{44}`),
  rule('clojars-api-token', 'Clojars', 'Clojars API token', 'MEDIUM', '(CLOJARS_)(?i)[a-z0-9]{60}', ['CLOJARS_']),
  vendor('contentful-delivery-api-token', 'ContentfulDelivery', 'Contentful delivery API token', 'LOW', 'contentful', String.raw`[a-z0-9\-=_]{43}`),
  rule('databricks-api-token', 'Databricks', 'Databricks API token', 'MEDIUM', 'dapi[a-h0-9]{32}', ['dapi']),
  vendor('discord-api-token', 'Discord', 'Discord API key', 'MEDIUM', 'discord', '[a-h0-9]{64}'),
  vendor('discord-client-id', 'Discord', 'Discord client ID', 'MEDIUM', 'discord', '[0-9]{18}'),
  vendor('discord-client-secret', 'Discord', 'Discord client secret', 'MEDIUM', 'discord', String.raw`[a-z0-9=_\-]{32}`),
  rule('doppler-api-token', 'Doppler', 'Doppler API token', 'MEDIUM', String.raw`['\"](dp\.pt\.)(?i)[a-z0-9]{43}['\"]`, ['dp.pt.']),
  rule('dropbox-api-secret', 'Dropbox', 'Dropbox API secret/key', 'HIGH', String.raw`(?i)(dropbox[a-z0-9_ .\-,]{0,25})(=|>|:=|\|\|:|<=|=>|:).{0,5}['\"]([a-z0-9]{15})['\"]`, ['dropbox']),
  rule(
    'dropbox-short-lived-api-token',
    'Dropbox',
    'Dropbox short lived API token',
    'HIGH',
    String.raw`(?i)(dropbox[a-z0-9_ .\-,]{0,25})(=|>|:=|\|\|:|<=|=>|:).{0,5}['\"](sl\.[a-z0-9\-=_]{135})['\"]`,
    ['dropbox'],
  ),
  rule(
    'dropbox-long-lived-api-token',
    'Dropbox',
    'Dropbox long lived API token',
    'HIGH',
    String.raw`(?i)(dropbox[a-z0-9_ .\-,]{0,25})(=|>|:=|\|\|:|<=|=>|:).{0,5}['\"][a-z0-9]{11}(AAAAAAAAAA)[a-z0-9\-_=]{43}['\"]`,
    ['dropbox'],
  ),
  rule('duffel-api-token', 'Duffel', 'Duffel API token', 'LOW', String.raw`['\"]duffel_(test|live)_(?i)[a-z0-9_-]{43}['\"]`, ['duffel_test_', 'duffel_live_']),
  rule('dynatrace-api-token', 'Dynatrace', 'Dynatrace API token', 'MEDIUM', String.raw`['\"]dt0c01\.(?i)[a-z0-9]{24}\.[a-z0-9]{64}['\"]`, ['dt0c01.']),
  rule('easypost-api-token', 'Easypost', 'EasyPost API token', 'LOW', String.raw`['\"]EZ[AT]K(?i)[a-z0-9]{54}['\"]`, ['EZAK', 'EZAT']),
  vendor('fastly-api-token', 'Fastly', 'Fastly API token', 'MEDIUM', 'fastly', String.raw`[a-z0-9\-=_]{32}`),
  vendor('finicity-client-secret', 'Finicity', 'Finicity client secret', 'MEDIUM', 'finicity', '[a-z0-9]{20}'),
  vendor('finicity-api-token', 'Finicity', 'Finicity API token', 'MEDIUM', 'finicity', '[a-f0-9]{32}'),
  rule(
    'flutterwave-public-key',
    'Flutterwave',
    'Flutterwave public/secret key',
    'MEDIUM',
    withoutWordPrefix('?P<secret>FLW(PUB|SEC)K_TEST-(?i)[a-h0-9]{32}-X'),
    ['FLWSECK_TEST-', 'FLWPUBK_TEST-'],
    'secret',
  ),
  rule('flutterwave-enc-key', 'Flutterwave', 'Flutterwave encrypted key', 'MEDIUM', withoutWordPrefix('?P<secret>FLWSECK_TEST[a-h0-9]{12}'), ['FLWSECK_TEST'], 'secret'),
  rule('frameio-api-token', 'Frameio', 'Frame.io API token', 'LOW', String.raw`fio-u-(?i)[a-z0-9\-_=]{64}`, ['fio-u-']),
  rule('gocardless-api-token', 'GoCardless', 'GoCardless API token', 'MEDIUM', String.raw`['\"]live_(?i)[a-z0-9\-_=]{40}['\"]`, ['live_']),
  rule('grafana-api-token', 'Grafana', 'Grafana API token', 'MEDIUM', String.raw`['\"]?eyJrIjoi(?i)[a-z0-9\-_=]{72,92}['\"]?`, ['eyJrIjoi']),
  rule('hashicorp-tf-api-token', 'HashiCorp', 'HashiCorp Terraform user/org API token', 'MEDIUM', String.raw`['\"](?i)[a-z0-9]{14}\.atlasv1\.[a-z0-9\-_=]{60,70}['\"]`, ['atlasv1.']),
  vendor('hubspot-api-token', 'HubSpot', 'HubSpot API token', 'LOW', 'hubspot', UUID_AH),
  vendor('intercom-api-token', 'Intercom', 'Intercom API token', 'LOW', 'intercom', '[a-z0-9=_]{60}'),
  vendor('intercom-client-secret', 'Intercom', 'Intercom client secret/ID', 'LOW', 'intercom', UUID_AH),
  // Trivy gives this rule no severity: it is reported as UNKNOWN.
  rule('ionic-api-token', 'Ionic', 'Ionic API token', '', String.raw`(?i)(ionic[a-z0-9_ .\-,]{0,25})(=|>|:=|\|\|:|<=|=>|:).{0,5}['\"](ion_[a-z0-9]{42})['\"]`, ['ionic']),
  {
    id: 'jwt-token',
    category: 'JWT',
    title: 'JWT token',
    severity: 'MEDIUM',
    // The optional ghs_<APPID>_ prefix is in the whole match (which the allow rule reads) but not
    // in the secret group: the JWT inside a stateless GitHub App token is reported once, by
    // github-app-token.
    regex: String.raw`(?:ghs_[0-9]+_)?(?P<secret>ey[a-zA-Z0-9]{17,}\.ey[a-zA-Z0-9\/\\_-]{17,}\.(?:[a-zA-Z0-9\/\\_-]{10,}={0,2})?)`,
    secretGroupName: 'secret',
    allowRules: [{ id: 'stateless-ghs-jwt', description: 'Avoid double-reporting the JWT embedded in a stateless ghs_ GitHub App token', regex: '^ghs_' }],
    keywords: ['.eyJ'],
  },
  rule('linear-api-token', 'Linear', 'Linear API token', 'MEDIUM', 'lin_api_(?i)[a-z0-9]{40}', ['lin_api_']),
  vendor('linear-client-secret', 'Linear', 'Linear client secret/ID', 'MEDIUM', 'linear', '[a-f0-9]{32}'),
  vendor('lob-api-key', 'Lob', 'Lob API Key', 'LOW', 'lob', '(live|test)_[a-f0-9]{35}'),
  vendor('lob-pub-api-key', 'Lob', 'Lob Publishable API Key', 'LOW', 'lob', '(test|live)_pub_[a-f0-9]{31}'),
  vendor('mailchimp-api-key', 'Mailchimp', 'Mailchimp API key', 'MEDIUM', 'mailchimp', '[a-f0-9]{32}-us20'),
  vendor('mailgun-token', 'Mailgun', 'Mailgun private API token', 'MEDIUM', 'mailgun', '(pub)?key-[a-f0-9]{32}'),
  vendor('mailgun-signing-key', 'Mailgun', 'Mailgun webhook signing key', 'MEDIUM', 'mailgun', '[a-h0-9]{32}-[a-h0-9]{8}-[a-h0-9]{8}'),
  rule('mapbox-api-token', 'Mapbox', 'Mapbox API token', 'MEDIUM', String.raw`(?i)(pk\.[a-z0-9]{60}\.[a-z0-9]{22})`, ['pk.']),
  vendor('messagebird-api-token', 'MessageBird', 'MessageBird API token', 'MEDIUM', 'messagebird', '[a-z0-9]{25}'),
  vendor('messagebird-client-id', 'MessageBird', 'MessageBird API client ID', 'MEDIUM', 'messagebird', UUID_AH),
  rule('new-relic-user-api-key', 'NewRelic', 'New Relic user API Key', 'MEDIUM', String.raw`['\"](NRAK-[A-Z0-9]{27})['\"]`, ['NRAK-']),
  vendor('new-relic-user-api-id', 'NewRelic', 'New Relic user API ID', 'MEDIUM', 'newrelic', '[A-Z0-9]{64}'),
  rule('new-relic-browser-api-token', 'NewRelic', 'New Relic ingest browser API token', 'MEDIUM', String.raw`['\"](NRJS-[a-f0-9]{19})['\"]`, ['NRJS-']),
  rule('npm-access-token', 'Npm', 'npm access token', 'CRITICAL', String.raw`['\"](npm_(?i)[a-z0-9]{36})['\"]`, ['npm_']),
  rule('planetscale-password', 'Planetscale', 'PlanetScale password', 'MEDIUM', String.raw`pscale_pw_(?i)[a-z0-9\-_\.]{43}`, ['pscale_pw_']),
  rule('planetscale-api-token', 'Planetscale', 'PlanetScale API token', 'MEDIUM', String.raw`pscale_tkn_(?i)[a-z0-9\-_\.]{43}`, ['pscale_tkn_']),
  rule('private-packagist-token', 'Private Packagist', 'Private Packagist token', 'HIGH', 'packagist_[ou][ru]t_(?i)[a-f0-9]{68}', ['packagist_uut_', 'packagist_ort_', 'packagist_out_']),
  rule('postman-api-token', 'Postman', 'Postman API token', 'MEDIUM', String.raw`PMAK-(?i)[a-f0-9]{24}\-[a-f0-9]{34}`, ['PMAK-']),
  rule('pulumi-api-token', 'Pulumi', 'Pulumi API token', 'HIGH', 'pul-[a-f0-9]{40}', ['pul-']),
  rule('rubygems-api-token', 'RubyGems', 'Rubygem API token', 'MEDIUM', 'rubygems_[a-f0-9]{48}', ['rubygems_']),
  rule('sendgrid-api-token', 'SendGrid', 'SendGrid API token', 'MEDIUM', String.raw`SG\.(?i)[a-z0-9_\-\.]{66}`, ['SG.']),
  rule('sendinblue-api-token', 'Sendinblue', 'Sendinblue API token', 'LOW', String.raw`xkeysib-[a-f0-9]{64}\-(?i)[a-z0-9]{16}`, ['xkeysib-']),
  rule('shippo-api-token', 'Shippo', 'Shippo API token', 'LOW', 'shippo_(live|test)_[a-f0-9]{40}', ['shippo_live_', 'shippo_test_']),
  vendor('linkedin-client-secret', 'LinkedIn', 'LinkedIn Client secret', 'LOW', 'linkedin', '[a-z]{16}'),
  vendor('linkedin-client-id', 'LinkedIn', 'LinkedIn Client ID', 'LOW', 'linkedin', '[a-z0-9]{14}'),
  vendor('twitch-api-token', 'Twitch', 'Twitch API token', 'LOW', 'twitch', '[a-z0-9]{30}'),
  rule(
    'typeform-api-token',
    'Typeform',
    'Typeform API token',
    'LOW',
    String.raw`(?i)(?P<key>typeform[a-z0-9_ .\-,]{0,25})(=|>|:=|\|\|:|<=|=>|:).{0,5}(?P<secret>tfp_[a-z0-9\-_\.=]{59})`,
    ['typeform'],
    'secret',
  ),
  rule(
    'dockerconfig-secret',
    'Docker',
    'Dockerconfig secret exposed',
    'HIGH',
    String.raw`(?i)(\.(dockerconfigjson|dockercfg):\s*\|*\s*(?P<secret>(ey|ew)+[A-Za-z0-9\/\+=]+))`,
    ['dockerc'],
    'secret',
  ),
  rule('symfony-default-secret', 'Symfony', 'Symfony Default Secret', 'HIGH', 'ThisTokenIsNotSoSecretChangeIt|ThisEzPlatformTokenIsNotSoSecret_PleaseChangeIt', ['TokenIsNotSoSecret']),
  rule('azure-storage-account-key', 'Azure', 'Azure Storage Account Key', 'CRITICAL', String.raw`(?i)AccountKey\s*=\s*(?P<secret>[A-Za-z0-9+/]{86}==)`, ['AccountKey'], 'secret'),
  rule(
    'azure-sas-token',
    'Azure',
    'Azure Shared Access Signature Token',
    'HIGH',
    String.raw`sv=\d{4}-\d{2}-\d{2}(?:[&;][a-z]+=[^&\s'"]*){1,12}[&;]sig=(?P<secret>[A-Za-z0-9%+/=]{40,})`,
    ['sig=', 'sv='],
    'secret',
  ),
  rule(
    'azure-devops-pat',
    'Azure',
    'Azure DevOps Personal Access Token',
    'HIGH',
    String.raw`(?i)(?:azure[_\-]?devops|ado)[_\-]?(?:pat|token|personal.?access.?token)\s*[:=]\s*["']?(?P<secret>[a-z2-7]{52})["']?`,
    ['azure_devops', 'azuredevops', 'azure-devops', 'ado_pat', 'ado_token', 'ado-pat', 'ado-token'],
    'secret',
  ),
  rule(
    'azure-entra-client-secret',
    'Azure',
    'Azure Entra ID Client Secret',
    'CRITICAL',
    String.raw`(?:[^a-zA-Z0-9_~.\-]|\A)(?P<secret>[a-zA-Z0-9_~.\-]{3}8Q~[a-zA-Z0-9_~.\-]{34})(?:[^a-zA-Z0-9_~.\-]|\z)`,
    ['8Q~'],
    'secret',
  ),
  rule(
    'azure-container-registry-credential',
    'Azure',
    'Azure Container Registry Credential',
    'CRITICAL',
    '(?P<secret>[A-Za-z0-9+/]{52}JQQJ99C[A-Z]ACYeBjFEqg7NAAA[A-Z]AZCR[A-Za-z0-9+/]{4})',
    ['ACYeBjFEqg7NAAA'],
    'secret',
  ),
  rule(
    'azure-container-registry-password',
    'Azure',
    'Azure Container Registry Password',
    'CRITICAL',
    String.raw`(?i)azurecr\.io[^\n]{0,100}(?:password|pwd)\s*[:=]\s*["']?(?P<secret>[a-zA-Z0-9+/]{32})["']?`,
    ['azurecr.io'],
    'secret',
  ),
  rule(
    'azure-app-config-connection-string',
    'Azure',
    'Azure App Configuration Connection String',
    'CRITICAL',
    String.raw`(?i)Endpoint\s*=\s*https://[a-zA-Z0-9\-]+\.azconfig\.io\s*;\s*Id\s*=\s*[a-zA-Z0-9+/=:\-]+\s*;\s*Secret\s*=\s*(?P<secret>[a-zA-Z0-9+/=~]{32,88})`,
    ['azconfig.io'],
    'secret',
  ),
  rule(
    'azure-ai-services-key',
    'Azure',
    'Azure AI Services Key',
    'HIGH',
    '(?P<secret>[A-Za-z0-9+/]{52}JQQJ99C[A-Z][A-Za-z0-9+/]{7}XJ3w3[A-Za-z0-9+/]{4}ACOG[A-Za-z0-9+/]{4})',
    ['XJ3w3'],
    'secret',
  ),
  // Maven settings: values starting with `{` are encrypted ({...}) or property references
  // (${env.X}), not literal secrets.
  {
    ...rule('maven-settings-password', 'Maven', 'Maven settings.xml password', 'HIGH', String.raw`(?i)<\s*password\s*>\s*(?P<secret>[^<\s{][^<{]+[^<\s])\s*<\s*/\s*password\s*>`, ['password'], 'secret'),
    path: MAVEN_SETTINGS,
  },
  {
    ...rule('maven-settings-passphrase', 'Maven', 'Maven settings.xml passphrase', 'HIGH', String.raw`(?i)<\s*passphrase\s*>\s*(?P<secret>[^<\s{][^<{]+[^<\s])\s*<\s*/\s*passphrase\s*>`, ['passphrase'], 'secret'),
    path: MAVEN_SETTINGS,
  },
  {
    ...rule('maven-settings-security-master', 'Maven', 'Maven settings-security.xml master password', 'HIGH', String.raw`(?i)<\s*master\s*>\s*(?P<secret>[^<\s][^<]+[^<\s])\s*<\s*/\s*master\s*>`, ['master'], 'secret'),
    path: String.raw`(?i)(^|[/\\])settings-security\.xml$`,
  },
  // OpenAI keys carry the watermark T3BlbkFJ (base64 "OpenAI") between two random parts.
  rule('openai-project-api-key', 'OpenAI', 'OpenAI Project API Key', 'CRITICAL', withoutWordPrefix('?P<secret>sk-proj-[A-Za-z0-9_-]{20,100}T3BlbkFJ[A-Za-z0-9_-]{20,100}'), ['T3BlbkFJ'], 'secret'),
  rule('openai-service-account-key', 'OpenAI', 'OpenAI Service Account Key', 'CRITICAL', withoutWordPrefix('?P<secret>sk-svcacct-[A-Za-z0-9_-]{20,100}T3BlbkFJ[A-Za-z0-9_-]{20,100}'), ['T3BlbkFJ'], 'secret'),
  rule('openai-admin-api-key', 'OpenAI', 'OpenAI Admin API Key', 'CRITICAL', withoutWordPrefix('?P<secret>sk-admin-[A-Za-z0-9_-]{20,100}T3BlbkFJ[A-Za-z0-9_-]{20,100}'), ['T3BlbkFJ'], 'secret'),
  rule('openai-legacy-api-key', 'OpenAI', 'OpenAI Legacy User API Key', 'HIGH', withoutWordPrefix('?P<secret>sk-(?:None-)?[A-Za-z0-9]{20,42}T3BlbkFJ[A-Za-z0-9]{20,42}'), ['T3BlbkFJ'], 'secret'),
  rule('openai-service-api-key', 'OpenAI', 'OpenAI Service API Key', 'HIGH', withoutWordPrefix('?P<secret>sk-service-[A-Za-z0-9-]+-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}'), ['T3BlbkFJ'], 'secret'),
  rule('openai-realtime-client-secret', 'OpenAI', 'OpenAI Realtime Client Secret', 'MEDIUM', withBoundaries('?P<secret>ek_[a-f0-9]{32}'), ['ek_'], 'secret'),
];

/** Paths Trivy never reports secrets in: tests, examples, vendored code, system and runtime trees. */
export const BUILTIN_ALLOW_RULES: readonly AllowRuleSpec[] = [
  // .dist-info holds only package metadata (trivy#8212).
  { id: 'dist-info', description: 'Ignore Python .dist-info metadata directories', path: String.raw`\.dist-info\/` },
  { id: 'tests', description: 'Avoid test files and paths', path: String.raw`(^(?i)test|\/test|-test|_test|\.test)` },
  // Both a path rule and a match rule: documentation keys such as AKIAIOSFODNN7EXAMPLE.
  { id: 'examples', description: 'Avoid example files and paths', path: 'example', regex: '(?i)example' },
  { id: 'vendor', description: 'Vendor dirs', path: String.raw`\/vendor\/` },
  { id: 'usr-dirs', description: 'System dirs', path: String.raw`^usr\/(?:share|include|lib)\/` },
  { id: 'locale-dir', description: 'Locales directory contains locales file', path: String.raw`\/locales?\/` },
  { id: 'markdown', description: 'Markdown files', path: String.raw`\.md$` },
  { id: 'node.js', description: 'Node container images', path: String.raw`^opt\/yarn-v[\d.]+\/` },
  { id: 'golang', description: 'Go container images', path: String.raw`^usr\/local\/go\/` },
  { id: 'python', description: 'Python container images', path: String.raw`^usr\/local\/lib\/python[\d.]+\/` },
  { id: 'rubygems', description: 'Ruby container images', path: String.raw`^usr\/lib\/gems\/` },
  { id: 'wordpress', description: 'Wordpress container images', path: String.raw`^usr\/src\/wordpress\/` },
  { id: 'anaconda-log', description: 'Anaconda CI Logs in container images', path: String.raw`^var\/log\/anaconda\/` },
];
