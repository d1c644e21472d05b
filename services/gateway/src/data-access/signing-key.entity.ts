import type { JsonWebKey } from 'node:crypto';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'signing_keys' })
export class SigningKeyEntity {
  @PrimaryColumn({ type: 'text' })
  kid!: string;

  @Column({ type: 'text' })
  algorithm!: string;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk!: JsonWebKey;

  /** PKCS8 PEM encrypted with the shared keyring (associated data = kid). */
  @Column({ name: 'private_key_enc', type: 'text' })
  privateKeyEnc!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** When it starts signing; published in the JWKS from `createdAt` on. */
  @Column({ name: 'activates_at', type: 'timestamptz' })
  activatesAt!: Date;

  /** When it stops verifying and leaves the JWKS (may be in the future: retiring). */
  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt!: Date | null;
}
