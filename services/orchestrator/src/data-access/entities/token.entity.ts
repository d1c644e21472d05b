import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** The tokens of one account for one app; both tokens encrypted (aad = `<account_key>/<app>`). */
@Entity({ name: 'tokens' })
export class TokenRow {
  @PrimaryColumn({ name: 'account_key', type: 'text' }) accountKey!: string;
  @PrimaryColumn({ type: 'text' }) app!: string;
  @Column({ name: 'account_id', type: 'text' }) accountId!: string;
  @Column({ name: 'x_user_id', type: 'text' }) xUserId!: string;
  @Column({ name: 'access_token_enc', type: 'text' }) accessTokenEnc!: string;
  @Column({ name: 'refresh_token_enc', type: 'text', nullable: true }) refreshTokenEnc!: string | null;
  @Column({ type: 'text' }) scopes!: string;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  /** active | dead | outcome_unknown */
  @Column({ type: 'text' }) status!: string;
  @Column({ type: 'int' }) version!: number;
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true }) nextAttemptAt!: Date | null;
  @Column({ type: 'int' }) failures!: number;
  @Column({ name: 'last_error_code', type: 'text', nullable: true }) lastErrorCode!: string | null;
  @Column({ name: 'refresh_started_at', type: 'timestamptz', nullable: true }) refreshStartedAt!: Date | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
