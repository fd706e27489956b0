import type { KeyValueRepository } from "../../domain/key-value-repository";

/**
 * A repository that passes every call on to `inner`, except the methods
 * given in `overrides`: the base of the storage decorators, which each
 * change a few methods and must pass the others through untouched.
 */
export function decorateRepository(inner: KeyValueRepository, overrides: Partial<KeyValueRepository>): KeyValueRepository {
  return {
    get: (...args) => inner.get(...args),
    putMany: (...args) => inner.putMany(...args),
    putIf: (...args) => inner.putIf(...args),
    deleteIf: (...args) => inner.deleteIf(...args),
    deleteMatching: (...args) => inner.deleteMatching(...args),
    list: (...args) => inner.list(...args),
    keysAt: (...args) => inner.keysAt(...args),
    purgeExpired: (...args) => inner.purgeExpired(...args),
    statistics: (...args) => inner.statistics(...args),
    checkReady: () => inner.checkReady(),
    ...overrides,
  };
}
