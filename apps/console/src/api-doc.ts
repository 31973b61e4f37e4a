import { SetMetadata } from '@nestjs/common';
import type { z } from 'zod';

/** What the OpenAPI document says about one route (see `openapi.ts`). */
export interface ApiDocOptions {
  /** Group in the docs (`services`, `config`, ...). */
  readonly tag: string;
  readonly summary: string;
  /** Longer text (markdown). */
  readonly description?: string;
  /** The JSON body's zod schema (its JSON Schema goes into the document). */
  readonly body?: z.ZodType;
  /** The query's zod schema (each property becomes a query parameter). */
  readonly query?: z.ZodType;
  /** Name of the response type in `libs/console-contract` (`ServicesView`, ...). */
  readonly returns?: string;
  /** Success status (default 200). */
  readonly status?: number;
  /** Response media type (default `application/json`). */
  readonly produces?: 'application/json' | 'text/event-stream' | 'application/octet-stream';
  /** Needs no session (default false: the session cookie, and for non-GET the CSRF header). */
  readonly public?: boolean;
}

/** Metadata key of {@link ApiDoc}. */
export const API_DOC = 'console:api-doc';

/**
 * Documents a route for `/api/openapi.json`. The document is built from these and Nest's route
 * metadata (not from TypeScript types, which the apps do not emit under tsx), so it says only
 * what is declared here.
 */
export const ApiDoc = (options: ApiDocOptions): MethodDecorator => SetMetadata(API_DOC, options);
