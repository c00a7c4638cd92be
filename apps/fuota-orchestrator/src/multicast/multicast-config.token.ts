/** DI token of the multicast feature's configuration ({@link MulticastConfig}). */
export const MULTICAST_CONFIG = Symbol('MULTICAST_CONFIG');
