import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'api_clients' })
export class ApiClientEntity {
  @PrimaryColumn({ name: 'client_id', type: 'text' })
  clientId!: string;

  /** `scrypt$N$r$p$salt$hash`; the secret itself is never stored. */
  @Column({ name: 'secret_hash', type: 'text' })
  secretHash!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  /** The X apps whose tokens it may read; null: every app. */
  @Column({ type: 'text', array: true, nullable: true })
  apps!: string[] | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt!: Date | null;

  /** The secret before the last rotation, working until `previousSecretExpiresAt`. */
  @Column({ name: 'previous_secret_hash', type: 'text', nullable: true })
  previousSecretHash!: string | null;

  @Column({ name: 'previous_secret_expires_at', type: 'timestamptz', nullable: true })
  previousSecretExpiresAt!: Date | null;

  /** `bootstrap` rows follow BOOTSTRAP_CLIENTS; `operator` rows were changed over the API and bootstrap leaves them alone. */
  @Column({ name: 'managed_by', type: 'text' })
  managedBy!: 'bootstrap' | 'operator';

  /** JWTs carrying a lower version (claim `cv`) are refused: bumped when scopes are taken away. */
  @Column({ name: 'token_version', type: 'integer' })
  tokenVersion!: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
