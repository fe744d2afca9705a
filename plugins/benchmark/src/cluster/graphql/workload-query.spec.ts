import { decodeCursor, encodeCursor, workloadCountQuery, workloadPageQuery } from './workload-query';
import { severitiesFrom } from './workloads.service';

describe('workloads query SQL', () => {
  it('round-trips its keyset cursor and refuses anything else, naming the argument', () => {
    const row = { cluster: 'prod', namespace: 'shop', kind: 'Deployment', name: "web'; DROP TABLE x; --", uid: 'u-1' };
    expect(decodeCursor(encodeCursor(row))).toEqual(['prod', 'shop', 'Deployment', row.name, 'u-1']);
    for (const hostile of ['', 'not a cursor', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1,2,3,4,5]').toString('base64url'), Buffer.from('["a","b"]').toString('base64url')]) {
      expect(() => decodeCursor(hostile)).toThrow('after: not a cursor of this connection');
    }
  });

  it('passes every value as a parameter, never in the SQL text', () => {
    const evil = "x' OR '1'='1";
    const { sql, parameters } = workloadPageQuery(
      { team: 'red', cluster: evil, namespace: evil, podSecurityLevel: 'privileged', includeOwned: false, imageIds: [evil], signature: { signed: false, digests: [evil] }, findingTargets: [evil] },
      10,
      [evil, evil, evil, evil, evil],
    );
    expect(sql).not.toContain(evil);
    expect(parameters).toEqual(['red', evil, evil, 'privileged', [evil], [evil], [evil], evil, evil, evil, evil, evil, 11]);
    // Every $n used is a parameter given.
    const used = [...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
    expect(Math.max(...used)).toBe(parameters.length);
    expect(sql).toContain('w.root_uid = w.uid');
    expect(sql).toContain('NOT (i.digest = ANY($6::text[]))');
  });

  it("applies the image conditions to one and the same running image row", () => {
    const { sql } = workloadCountQuery({ team: 't', includeOwned: true, imageIds: ['sha256:a'], signature: { signed: true, digests: ['sha256:d'] } });
    expect(sql.match(/IN \(SELECT/g)).toHaveLength(1);
    expect(sql).toMatch(/ci\.image_id = ANY\(\$2::text\[\]\) AND i\.digest = ANY\(\$3::text\[\]\)/);
    expect(sql).not.toContain('w.root_uid = w.uid');
  });

  it('orders severities from CRITICAL down', () => {
    expect(severitiesFrom('CRITICAL')).toEqual(['CRITICAL']);
    expect(severitiesFrom('MEDIUM')).toEqual(['CRITICAL', 'HIGH', 'MEDIUM']);
  });
});
