import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One stored dead letter; unique on (message_id, original_queue) so a redelivery adds nothing. */
@Entity({ name: 'dead_letters' })
export class DeadLetterRow {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ name: 'message_id', type: 'text' }) messageId!: string;
  /** '' when the letter does not say (the unique key needs a value). */
  @Column({ name: 'original_queue', type: 'text' }) originalQueue!: string;
  @Column({ name: 'original_exchange', type: 'text', nullable: true }) originalExchange!: string | null;
  @Column({ name: 'routing_key', type: 'text' }) routingKey!: string;
  @Column({ type: 'text', nullable: true }) service!: string | null;
  @Column({ name: 'error_code', type: 'text' }) errorCode!: string;
  @Column({ name: 'error_message', type: 'text', nullable: true }) errorMessage!: string | null;
  @Column({ type: 'int' }) attempts!: number;
  @Column({ name: 'first_failure_at', type: 'timestamptz', nullable: true }) firstFailureAt!: Date | null;
  @Column({ name: 'last_failure_at', type: 'timestamptz' }) lastFailureAt!: Date;
  @Column({ type: 'bytea' }) body!: Buffer;
  @Column({ type: 'jsonb' }) properties!: Record<string, unknown>;
  @Column({ type: 'jsonb' }) headers!: Record<string, unknown>;
  /** new | replayed | discarded */
  @Column({ type: 'text' }) status!: string;
  @Column({ name: 'replay_count', type: 'int' }) replayCount!: number;
  @Column({ name: 'received_at', type: 'timestamptz' }) receivedAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
