export * from './platform.config';
export * from './platform.module';
export * from './tokens';
export * from './command-metadata';
export * from './service-config';
export * from './run-service';
export * from './mqtt-credentials';
export * from './leader-lease';
