export * from './signature';
export * from './version';
export * from './firmware-package';
export * from './update-result';
export * from './dev-manufacturer-key';
