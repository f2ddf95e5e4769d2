export * from './tier-policy';
export * from './tier-compression';
export * from './compression-store';
export * from './compression.settings';
export * from './compression-pass';
export * from './importance';
export * from './pin-store';
