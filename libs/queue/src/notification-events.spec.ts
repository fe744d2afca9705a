import { parseRaisedNotification } from './notification-events';

const event = { category: 'GATE_FAILED', severity: 'HIGH', title: 't', summary: 's' };

describe('parseRaisedNotification', () => {
  it('reads a well-formed message', () => {
    expect(parseRaisedNotification(JSON.stringify({ id: 'x1', team: 'blue', plugin: 'p', taskId: null, event }))).toEqual({ id: 'x1', team: 'blue', plugin: 'p', taskId: null, event });
  });
  it.each([
    'not json',
    '[]',
    JSON.stringify({ id: 'x', plugin: null, taskId: null, event }),
    JSON.stringify({ id: 'x', team: '', event }),
    JSON.stringify({ id: 'x', team: 'blue', plugin: 3, event }),
    JSON.stringify({ id: 'x', team: 'blue', event: { ...event, category: 'NOPE' } }),
  ])('ignores a malformed message: %s', (message) => {
    expect(parseRaisedNotification(message)).toBeUndefined();
  });
});
