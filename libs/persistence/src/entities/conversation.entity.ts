import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** One conversation of one tenant, with the counters ingest keeps as messages arrive. */
@Entity({ name: 'conversations' })
export class ConversationEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 128 })
  tenantId!: string;

  @PrimaryColumn({ name: 'conversation_id', type: 'varchar', length: 128 })
  conversationId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 128 })
  userId!: string;

  @Column({ name: 'message_count', type: 'integer', default: 0 })
  messageCount!: number;

  /** Highest `seq` assigned so far; seqs are gap-free from 1. */
  @Column({ name: 'last_seq', type: 'bigint', default: 0 })
  lastSeq!: string;

  @Column({ name: 'first_message_at', type: 'timestamptz', nullable: true })
  firstMessageAt!: Date | null;

  @Column({ name: 'last_message_at', type: 'timestamptz', nullable: true })
  lastMessageAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
