type IsAny<V> = 0 extends 1 & V ? true : false;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * `is(value).as<T>()` compiles only when `value` is not `any` and has
 * exactly the type T: a listener parameter left `any` (an EventEmitter's
 * catch-all) or typed differently from @types/ws fails here.
 */
export function is<V>(value: IsAny<V> extends true ? never : V): { as<T>(...exact: Same<V, T> extends true ? [] : [never]): void } {
  void value;
  return { as: () => {} };
}
