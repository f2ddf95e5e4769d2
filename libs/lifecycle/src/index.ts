export * from './tier-policy';
export * from './tier-compression';
