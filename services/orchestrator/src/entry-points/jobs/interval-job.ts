// Moved to @xauth/shared (the gateway runs interval jobs too); kept here so imports stay put.
export { IntervalJob, type IntervalJobOptions } from '@xauth/shared';
