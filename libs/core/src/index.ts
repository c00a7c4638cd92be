export * from './errors';
export * from './metadata';
export * from './assert-never';
export * from './backoff';
export * from './map-concurrently';
