export * from './schema-catalogue';
export * from './avro-codec';
export * from './topics';
export * from './compatibility';
export * from './event-records';
export * from './configuration-values';
export * from './command-requests';
export * from './device-facts';
