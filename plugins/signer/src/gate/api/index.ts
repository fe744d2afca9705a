import { Module } from '@nestjs/common';
import { PromotionsResolver } from './promotions.resolver';

export { Promotion, PromotionReason, PromotionVerdict } from './promotion.model';
export { gateMigrations } from '../promotion-store';

/** The promotion gate's API part: promoteImage, promotion(id), promotions. Imported by the signer's API module. */
@Module({ providers: [PromotionsResolver] })
export class GateApiModule {}
