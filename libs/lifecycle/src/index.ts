export * from './tier-policy';
export * from './tier-compression';
export * from './compression-store';
