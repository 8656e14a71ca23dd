import { describe, expect, it } from 'vitest';
import { carriedFailure, FailureError, failureMessage, failureOf, retryCanHelp, senderMayReturn, type Failure } from '../../app/src/transfer/failure.ts';

describe('failures in plain English', () => {
  it('say what a dial and the broker report as the terminal has always printed them', () => {
    const said: [Failure, string][] = [
      [{ code: 'no-webrtc' }, 'This runtime cannot make direct connections: it has no WebRTC.'],
      [{ code: 'server-unreachable' }, 'Cannot reach the Ferry server. Check your network connection.'],
      [{ code: 'sender-offline' }, 'The sender is not online: their Ferry page or terminal was closed.'],
      [{ code: 'sender-silent' }, 'The sender did not answer: their device may be asleep, or their page in the background.'],
      [{ code: 'no-path', relay: 'none' }, 'No network path to the sender, and the Ferry server offers no relay. Try the same network as the sender.'],
      [{ code: 'no-path', relay: 'refused' }, 'No network path to the sender: the relay refused this server’s credentials.'],
      [{ code: 'no-path', relay: 'tried' }, 'No network path to the sender, even through the relay.'],
      [{ code: 'setup-failed', detail: 'no answer' }, 'The connection to the sender could not be set up: no answer'],
      [{ code: 'server-busy' }, 'Ferry is busy, try again in a minute.'],
      [
        { code: 'server-misrouted' },
        'The Ferry server sent this connection to the wrong place: its load balancer is set up wrong. Tell whoever runs this Ferry.',
      ],
      [{ code: 'server-lost' }, 'Lost contact with the Ferry server. Check your network connection.'],
      [{ code: 'id-taken' }, 'This share’s id is already in use on the server.'],
      [{ code: 'broker-failed', type: 'invalid-key' }, 'Connection failed (invalid-key).'],
    ];
    for (const [failure, english] of said) expect(failureMessage(failure)).toBe(english);
  });

  it('travel with the error that carries them, and anything else is unexpected, in its own words', () => {
    const error = new FailureError({ code: 'server-busy' });
    expect(error.message).toBe('Ferry is busy, try again in a minute.');
    expect(carriedFailure(error)).toEqual({ code: 'server-busy' });
    expect(failureOf(error)).toEqual({ code: 'server-busy' });
    expect(carriedFailure(new Error('odd'))).toBeNull();
    expect(failureOf(new Error('odd'))).toEqual({ code: 'unexpected', detail: 'odd' });
    expect(failureOf('odder')).toEqual({ code: 'unexpected', detail: 'odder' });
  });
});

describe('what failures say about trying again', () => {
  it('waits by itself only for a sender that may come back', () => {
    expect(senderMayReturn({ code: 'sender-offline' })).toBe(true);
    expect(senderMayReturn({ code: 'sender-silent' })).toBe(true);
    for (const failure of [{ code: 'server-unreachable' }, { code: 'no-path', relay: 'none' }, { code: 'server-busy' }] as const) {
      expect(senderMayReturn(failure)).toBe(false);
    }
  });

  it('offers a retry unless this device itself cannot connect', () => {
    expect(retryCanHelp({ code: 'no-webrtc' })).toBe(false);
    for (const failure of [{ code: 'server-unreachable' }, { code: 'sender-offline' }, { code: 'server-lost' }] as const) {
      expect(retryCanHelp(failure)).toBe(true);
    }
  });
});
