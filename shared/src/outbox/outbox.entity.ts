import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A message implied by a committed state change, waiting for the relay to publish it. */
@Entity({ name: 'outbox' })
@Index('outbox_unsent_idx', ['id'], { where: 'sent_at IS NULL' })
export class OutboxRow {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'message_id', type: 'uuid', unique: true }) messageId!: string;
  @Column({ type: 'text' }) type!: string;
  @Column({ name: 'routing_key', type: 'text' }) routingKey!: string;
  @Column({ type: 'jsonb' }) payload!: unknown;
  @Column({ name: 'correlation_id', type: 'text' }) correlationId!: string;
  @Column({ name: 'causation_id', type: 'text', nullable: true }) causationId!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true }) sentAt!: Date | null;
  @Column({ type: 'int', default: 0 }) attempts!: number;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
}

/** A message a consumer has already processed (dedupe by messageId per consumer). */
@Entity({ name: 'inbox' })
export class InboxRow {
  @Column({ name: 'message_id', type: 'text', primary: true }) messageId!: string;
  @Column({ type: 'text', primary: true }) consumer!: string;
  @CreateDateColumn({ name: 'processed_at', type: 'timestamptz' }) processedAt!: Date;
}
