export * from './signature';
export * from './messages';
export * from './destination-policy';
export * from './deliver';
export * from './delivery-queue';
export * from './rules';
export * from './channel-store';
