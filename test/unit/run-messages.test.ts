// What `ddcn run` says when the registry left people PENDING: how many, what the next run does, and who failed.
import { describe, expect, it } from 'vitest';
import { registryFailureMessage } from '../../src/cli/summary.js';

describe("the run's registry failure message", () => {
  it('counts one person as one and many as many, and says what the next run does', () => {
    const one = registryFailureMessage({ what: 'the registry is unavailable', why: '1 registry request failed', errors: 1, shareFailed: 1, others: [] });
    expect(one).toBe(
      'the registry is unavailable (1 registry request failed): 1 person could not be verified. It is PENDING and the next `ddcn run` picks it up. ' +
        '1 matched person could not be shared; the next `ddcn run` shares them.',
    );
    const many = registryFailureMessage({ what: 'the registry is unavailable', why: null, errors: 328, shareFailed: 0, others: [] });
    expect(many).toBe('the registry is unavailable: 328 people could not be verified. They are PENDING and the next `ddcn run` picks them up.');
  });

  it('says who of them keep their last outcome on the lists (verified before), not that everyone is PENDING', () => {
    const all = registryFailureMessage({ what: 'the registry is unavailable', why: null, errors: 2, kept: 2, shareFailed: 0, others: [] });
    expect(all).toBe(
      'the registry is unavailable: 2 people could not be verified. They keep their last outcome on the lists (verified before) and the next `ddcn run` picks them up.',
    );
    const some = registryFailureMessage({ what: 'the registry is unavailable', why: null, errors: 5, kept: 1, shareFailed: 0, others: [] });
    expect(some).toBe(
      'the registry is unavailable: 5 people could not be verified. 4 are PENDING, 1 verified before keeps its last outcome on the lists and the next `ddcn run` picks them up.',
    );
    const token = registryFailureMessage({ what: 'the registry refused the token', why: null, errors: 1, kept: 1, shareFailed: 0, others: [], tokenRefused: true });
    expect(token).toMatch(/^the registry refused the token: 1 person could not be verified\. It keeps its last outcome on the lists \(verified before\), and the next `ddcn run` fails the same way/);
  });

  it('says a refused token as such: the next run does not pick the people up until the token is replaced', () => {
    // "the registry is unavailable … the next `ddcn run` picks them up" read, to an operator, as nothing to do; with a
    // revoked token every night then fails the same way.
    const m = registryFailureMessage({ what: 'the registry refused the token', why: null, errors: 241, shareFailed: 0, others: [], tokenRefused: true });
    expect(m).toBe(
      'the registry refused the token: 241 people could not be verified. They are PENDING, and the next `ddcn run` fails the same way until the token is replaced. ' +
        'Put the valid token in DDCN_REGISTRY_TOKEN (the settings file, not a command line) and run `ddcn run` again (docs/runbook.md, Rotating the registry token).',
    );
    expect(m).not.toContain('picks them up');
    // Only shares owed: not "the next run shares them" either.
    const shares = registryFailureMessage({ what: 'the registry refused the token', why: null, errors: 0, shareFailed: 3, others: [], tokenRefused: true });
    expect(shares).toMatch(/^the registry refused the token: 3 matched people could not be shared, and the next `ddcn run` fails the same way until the token is replaced\. Put the valid token/);
  });

  it('says a registry URL with no registry API as such: the next run fails the same way until the URL is corrected', () => {
    const m = registryFailureMessage({ what: 'the registry URL has no registry API', why: null, errors: 241, shareFailed: 0, others: [], addressWrong: true });
    expect(m).toBe(
      'the registry URL has no registry API: 241 people could not be verified. They are PENDING, and the next `ddcn run` fails the same way until the registry URL is corrected: ' +
        "set the API's base URL in DDCN_REGISTRY_URL (or --registry-url) and run `ddcn run` again.",
    );
    const shares = registryFailureMessage({ what: 'the registry URL has no registry API', why: null, errors: 0, shareFailed: 3, others: [], addressWrong: true });
    expect(shares).toMatch(/^the registry URL has no registry API: 3 matched people could not be shared, and the next `ddcn run` fails the same way until the registry URL is corrected/);
  });

  it('names another process of the batch that failed, with its failure kinds, so that the operator looks there', () => {
    const m = registryFailureMessage({
      what: 'the registry is unavailable', why: null, errors: 5, shareFailed: 0,
      others: [{ worker: 'host-b:42', before: false, people: 1, kinds: ['RegistryAuthRejected'], shareFailed: 2 }],
    });
    expect(m).toContain('Failed by another process of this batch (host-b:42: 1 person left PENDING (RegistryAuthRejected), 2 shares not made): see its log;');
  });

  it("says of another process's people who of them keep their last outcome", () => {
    const m = registryFailureMessage({
      what: 'the registry is unavailable', why: null, errors: 5, kept: 2, shareFailed: 0,
      others: [{ worker: 'host-b:42', before: false, people: 5, kept: 2, kinds: ['RegistryServerError'], shareFailed: 0 }],
    });
    expect(m).toContain('(host-b:42: 5 people not verified: 3 left PENDING, 2 keeping their last outcome (RegistryServerError))');
  });

  it('says failures of the run it resumes (stopped or died) as such, not as a worker to restart', () => {
    // The night's run interrupted during an outage, resumed the next night: its chunks were verified by the first
    // run's process, which is gone; there is no worker to restart.
    const m = registryFailureMessage({
      what: 'the registry is unavailable', why: null, errors: 196, shareFailed: 0,
      others: [{ worker: 'vm:1916', before: true, people: 196, kinds: ['RegistryServerError'], shareFailed: 0 }],
    });
    expect(m).toBe(
      'the registry is unavailable: 196 people could not be verified. They are PENDING and the next `ddcn run` picks them up. ' +
        'Failed before this run began, by the process that then worked on the batch (vm:1916: 196 people left PENDING (RegistryServerError)).',
    );
  });
});
