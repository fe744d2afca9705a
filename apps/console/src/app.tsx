import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { NavLink, Route, Routes } from 'react-router-dom';
import { Provider, useQuery } from 'urql';
import { createApiClient } from './client';
import { graphql } from './gql';
import { storedToken, storeToken, type Role } from './session';
import { SignIn } from './sign-in';
import { useTheme } from './theme';
import { ErrorNote, Loading } from './ui';
import { ViewerProvider } from './viewer';

// One chunk per view: the first load fetches the shell and the view it opens on, nothing more.
const loadOverview = () => import('./views/overview');
const Overview = lazy(loadOverview);
const Images = lazy(() => import('./views/images'));
const ImageDetail = lazy(() => import('./views/image-detail'));
const Findings = lazy(() => import('./views/findings'));
const Tasks = lazy(() => import('./views/tasks'));
const TaskDetail = lazy(() => import('./views/task-detail'));
const Alerts = lazy(() => import('./views/alerts'));
const Schedules = lazy(() => import('./views/schedules'));
const Benchmarks = lazy(() => import('./views/benchmarks'));
const Settings = lazy(() => import('./views/settings'));
const Results = lazy(() => import('./views/results'));

const MeQuery = graphql(`
  query Me {
    me {
      name
      team
      role
    }
  }
`);

const PENDING_VIEWER = { name: '', team: '', role: 'viewer' as Role };

const NAV: readonly [string, string][] = [
  ['/', 'Overview'],
  ['/images', 'Images'],
  ['/findings', 'Findings'],
  ['/alerts', 'Runtime alerts'],
  ['/benchmarks', 'Benchmarks'],
  ['/tasks', 'Tasks'],
  ['/schedules', 'Schedules'],
  ['/results', 'Plugin results'],
  ['/settings', 'Settings'],
];

// The overview is the usual first view: fetch its chunk while the `me` query is in flight
// rather than after it (one round trip less on a first load; the browser caches it anyway).
if (typeof window !== 'undefined' && window.location.pathname === '/') void loadOverview();

export function App() {
  const [token, setToken] = useState<string | null>(storedToken);
  const [problem, setProblem] = useState<string | null>(null);
  const api = useMemo(() => (token ? createApiClient(token) : null), [token]);
  useEffect(() => () => api?.dispose(), [api]);
  const signIn = (value: string) => {
    storeToken(value);
    setProblem(null);
    setToken(value);
  };
  const signOut = (reason: string | null) => {
    storeToken(null);
    setProblem(reason);
    setToken(null);
  };
  if (!api) return <SignIn onToken={signIn} problem={problem} />;
  return (
    <Provider value={api.client}>
      <Shell onSignOut={signOut} />
    </Provider>
  );
}

function Shell({ onSignOut }: { onSignOut: (reason: string | null) => void }) {
  const [{ data, error, fetching }] = useQuery({ query: MeQuery, requestPolicy: 'network-only' });
  const [theme, toggleTheme] = useTheme();
  const refused = error?.graphQLErrors.some((e) => e.extensions?.['code'] === 'UNAUTHENTICATED') || error?.response?.status === 401;
  useEffect(() => {
    if (refused) onSignOut('The API refused this token (unknown, revoked or expired).');
  }, [refused, onSignOut]);
  if (!data && !fetching) return <ErrorNote error={error} />;
  // Until `me` answers, the view renders (its own query runs in parallel: one round trip less on
  // a first load) as the least-privileged role, so no control is offered before the role is known.
  const viewer = data ? { ...data.me, role: data.me.role as Role } : PENDING_VIEWER;
  return (
    <ViewerProvider value={viewer}>
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Bulkhead</span>
        {data ? (
          <span className="who" data-testid="who">
            {viewer.name} · team <strong>{viewer.team}</strong> · <span data-testid="role">{viewer.role}</span>
          </span>
        ) : (
          <span className="who">Signing in…</span>
        )}
        <button type="button" onClick={toggleTheme} aria-pressed={theme === 'dark'}>
          Dark theme
        </button>
        <button type="button" onClick={() => onSignOut(null)}>
          Sign out
        </button>
      </header>
      <div className="layout">
        <nav aria-label="Views" className="side">
          <ul>
            {NAV.map(([to, label]) => (
              <li key={to}>
                <NavLink to={to} end={to === '/'}>
                  {label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          <Suspense fallback={<Loading />}>
            <Routes>
              <Route path="/" element={<Overview />} />
              <Route path="/images" element={<Images />} />
              <Route path="/images/:digest" element={<ImageDetail />} />
              <Route path="/findings" element={<Findings />} />
              <Route path="/alerts" element={<Alerts />} />
              <Route path="/benchmarks" element={<Benchmarks />} />
              <Route path="/benchmarks/:id" element={<Benchmarks />} />
              <Route path="/tasks" element={<Tasks />} />
              <Route path="/tasks/:id" element={<TaskDetail />} />
              <Route path="/schedules" element={<Schedules />} />
              <Route path="/results" element={<Results />} />
              <Route path="/results/:field" element={<Results />} />
              <Route path="/settings" element={<Settings />} />
              <Route path="*" element={<h1>Not found</h1>} />
            </Routes>
          </Suspense>
        </main>
      </div>
    </ViewerProvider>
  );
}
