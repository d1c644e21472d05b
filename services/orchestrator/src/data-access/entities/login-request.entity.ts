import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** Every accepted `user.login.requested`, keyed by its requestId (the business idempotency key). */
@Entity({ name: 'login_requests' })
export class LoginRequestRow {
  @PrimaryColumn({ name: 'request_id', type: 'uuid' }) requestId!: string;
  @Column({ name: 'account_id', type: 'text' }) accountId!: string;
  @Column({ type: 'text' }) app!: string;
  @Index('login_requests_job_idx') @Column({ name: 'job_id', type: 'uuid', nullable: true }) jobId!: string | null;
  /** accepted | answered | failed */
  @Column({ type: 'text' }) outcome!: string;
  @Column({ name: 'reply_to', type: 'text', nullable: true }) replyTo!: string | null;
  @Column({ name: 'correlation_id', type: 'text' }) correlationId!: string;
  /** Why a request was refused before any job (e.g. UNKNOWN_ACCOUNT); a job's failure stays on the job. */
  @Column({ name: 'error_code', type: 'text', nullable: true }) errorCode!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
