import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { JobStatus } from '@xauth/contracts';

@Entity({ name: 'authorization_jobs' })
export class JobRow {
  @PrimaryColumn({ name: 'job_id', type: 'uuid' }) jobId!: string;
  @Column({ name: 'account_id', type: 'text' }) accountId!: string;
  @Column({ name: 'account_key', type: 'text' }) accountKey!: string;
  @Column({ type: 'text' }) app!: string;
  @Column({ name: 'profile_id', type: 'text' }) profileId!: string;
  @Column({ type: 'text' }) scopes!: string;
  @Column({ type: 'text' }) status!: JobStatus;
  @Column({ type: 'int' }) attempt!: number;
  @Column({ name: 'redirect_uri', type: 'text' }) redirectUri!: string;
  /** Encrypted (AES-256-GCM, aad = job id). */
  @Column({ name: 'state_enc', type: 'text' }) stateEnc!: string;
  @Column({ name: 'verifier_enc', type: 'text' }) verifierEnc!: string;
  /** After this the job is expired (the worker also refuses to start it). */
  @Column({ type: 'timestamptz' }) deadline!: Date;
  /** Tokens already exchanged but not yet identity-checked (encrypted JSON), so a retry never re-spends the code. */
  @Column({ name: 'pending_tokens_enc', type: 'text', nullable: true }) pendingTokensEnc!: string | null;
  @Column({ name: 'error_code', type: 'text', nullable: true }) errorCode!: string | null;
  @Column({ name: 'error_message', type: 'text', nullable: true }) errorMessage!: string | null;
  @Column({ name: 'worker_id', type: 'text', nullable: true }) workerId!: string | null;
  @Column({ type: 'jsonb', nullable: true }) artifacts!: string[] | null;
  /** Set (and committed) before the code is exchanged: a concurrent copy of the consent leaves the exchange to its holder. */
  @Column({ name: 'exchange_started_at', type: 'timestamptz', nullable: true }) exchangeStartedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
