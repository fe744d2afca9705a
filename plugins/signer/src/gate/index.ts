export * from './policy';
export * from './evaluate';
export * from './promote-image';
export * from './promotion-store';
