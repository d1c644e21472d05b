import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A browser profile and the X account it is signed in to, as last synced from the provider. */
@Entity({ name: 'profiles' })
export class ProfileRow {
  @PrimaryColumn({ name: 'profile_id', type: 'text' }) profileId!: string;
  @Index('profiles_account_idx') @Column({ name: 'account_key', type: 'text' }) accountKey!: string;
  @Column({ name: 'account_id', type: 'text' }) accountId!: string;
  @Column({ type: 'text' }) provider!: string;
  @Column({ name: 'synced_at', type: 'timestamptz' }) syncedAt!: Date;
}
