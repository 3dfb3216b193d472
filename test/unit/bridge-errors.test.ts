// How the bridge reads nats.js errors: which publishes it retries with the same msg id, and which
// connection failures mean the server refused our credentials. Real error objects, made by the
// client library's own classes.
import { describe, expect, it } from 'vitest';
import { AuthorizationError, UserAuthenticationExpiredError, errors } from '@nats-io/transport-node';
import { jserrors } from '@nats-io/jetstream/internal';
import { refusedCredentials } from '../../src/bridge/connection.js';
import { retryable } from '../../src/bridge/outbox.js';

describe('retryable publishes', () => {
  it('retries what may pass: a timeout, a lost connection, and a publish nobody answered', () => {
    expect(retryable(new errors.TimeoutError())).toBe(true);
    expect(retryable(new errors.ConnectionError('connection refused'))).toBe(true);
    // nats.js's name for "no responders" on a JetStream publish: no stream for the subject yet,
    // or JetStream restarting. (Regression: these were dead-lettered at once.)
    expect(retryable(new jserrors.JetStreamNotEnabled('jetstream is not enabled'))).toBe(true);
  });

  it('does not retry what cannot pass', () => {
    expect(retryable(new Error('maximum payload exceeded'))).toBe(false);
    expect(retryable(new errors.InvalidSubjectError('a b'))).toBe(false);
  });
});

describe('refused credentials', () => {
  it('are an authorization violation or expired credentials', () => {
    expect(refusedCredentials(new AuthorizationError('Authorization Violation'))).toBe(true);
    expect(refusedCredentials(new UserAuthenticationExpiredError('User Authentication Expired'))).toBe(true);
  });

  it('are not an authentication timeout (we were slow), nor an outage', () => {
    expect(refusedCredentials(new AuthorizationError('Authentication Timeout'))).toBe(false);
    expect(refusedCredentials(new errors.ConnectionError('connection refused'))).toBe(false);
    expect(refusedCredentials(new Error('Authorization Violation'))).toBe(false);
  });
});
