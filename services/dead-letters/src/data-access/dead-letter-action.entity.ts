import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The audit trail: every replay and discard, who asked (the client id), when and why. */
@Entity({ name: 'dead_letter_actions' })
export class DeadLetterActionRow {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'dead_letter_id', type: 'uuid' }) deadLetterId!: string;
  /** replay | discard */
  @Column({ type: 'text' }) action!: string;
  @Column({ type: 'text' }) actor!: string;
  @Column({ type: 'text' }) reason!: string;
  @Column({ name: 'replay_message_id', type: 'text', nullable: true }) replayMessageId!: string | null;
  @Column({ type: 'timestamptz' }) at!: Date;
}
