import { SummaryRepository } from '@memory/persistence';
import { DataSource } from 'typeorm';

/** User pins: a pinned conversation counts as the most important (it stays richer longer). */
export class PinStore {
  private readonly summaries: SummaryRepository;

  constructor(dataSource: DataSource) {
    this.summaries = new SummaryRepository(dataSource);
  }

  /**
   * Pins or unpins a conversation of a tenant; false when the tenant has no summary of it
   * (not yet summarized, or another tenant's).
   */
  setPinned(tenantId: string, conversationId: string, pinned: boolean): Promise<boolean> {
    return this.summaries.setPinned(tenantId, conversationId, pinned);
  }
}
