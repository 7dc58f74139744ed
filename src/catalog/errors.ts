// Catalog errors the operator sees, with stable codes.

import { VtlError } from '../errors.ts';

export const CatalogErrorCode = {
  NOT_FOUND: 'VTL_CATALOG_NOT_FOUND',
  EXISTS: 'VTL_CATALOG_EXISTS',
  ELEMENT_FULL: 'VTL_CATALOG_ELEMENT_FULL',
  ELEMENT_EMPTY: 'VTL_CATALOG_ELEMENT_EMPTY',
  INVALID: 'VTL_CATALOG_INVALID',
  SCHEMA: 'VTL_CATALOG_SCHEMA',
} as const;
export type CatalogErrorCode = (typeof CatalogErrorCode)[keyof typeof CatalogErrorCode];

export class CatalogError extends VtlError {
  constructor(code: CatalogErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
