/**
 * Lambda handlers wired on their first invocation. Nothing is read or built at import, so one
 * bundle can hold every built-in function (each deployed function runs just the one it points at),
 * a test can set the environment before the first call, and a missing variable is reported by the
 * invocation that needs it instead of crashing the module load.
 */

/**
 * A handler that builds its real handler with `wire` on the first invocation and keeps it for the
 * life of the Lambda instance (clients, caches, leases). A failed wiring is not kept: the next
 * invocation tries again, and fails with the same clear error while the configuration is wrong.
 */
export function lazyHandler<TArgs extends unknown[], TResult>(
  wire: () => (...args: TArgs) => Promise<TResult>,
): (...args: TArgs) => Promise<TResult> {
  let wired: ((...args: TArgs) => Promise<TResult>) | undefined;
  return async (...args) => {
    wired ??= wire();
    return wired(...args);
  };
}
