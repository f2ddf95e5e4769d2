export * from './prng';
export * from './locomo';
