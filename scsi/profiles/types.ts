// Vendor personalities are data (mhvtl's usr/pm/ idea): what a drive or a
// changer says about itself. Command semantics never change per vendor; a
// profile only feeds INQUIRY, VPD, block limits, densities, element addresses
// and the capability flags that switch optional behaviour on or off.

/** INQUIRY standard data strings (SPC-4 6.4.2), space padded by the encoder. */
export interface InquiryIdentity {
  /** T10 VENDOR IDENTIFICATION, at most 8 characters. */
  readonly vendor: string;
  /** PRODUCT IDENTIFICATION, at most 16 characters. */
  readonly product: string;
  /** PRODUCT REVISION LEVEL, at most 4 characters. */
  readonly revision: string;
}

/** How a serial number is shaped: VPD 80h, VPD 83h T10 vendor id, DVCID. */
export interface SerialFormat {
  /** Length of the unit serial number; shorter serials are left-padded with `pad`. */
  readonly length: number;
  readonly pad: string;
}

/** One density the drive knows (SSC-4 8.4.2 density support descriptor). */
export interface DensityDescriptor {
  /** PRIMARY DENSITY CODE (mode block descriptor density). */
  readonly code: number;
  readonly bitsPerMm: number;
  /** MEDIA WIDTH in tenths of a millimetre (127 = 1/2 inch). */
  readonly mediaWidth: number;
  readonly tracks: number;
  /** CAPACITY in megabytes (10^6). */
  readonly capacityMB: number;
  /** ASSIGNING ORGANIZATION (8), DENSITY NAME (8), DESCRIPTION (20). */
  readonly organization: string;
  readonly name: string;
  readonly description: string;
}

/** A cartridge generation the drive takes, and what it may do with it. */
export interface MediaSupport {
  /** SequentialMedium.attributes.mediaType, e.g. "LTO-6". */
  readonly mediaType: string;
  readonly access: 'read-write' | 'read-only';
  /** Density code the medium is recorded at. */
  readonly density: number;
  /** MEDIUM TYPE in the mode parameter header for a data cartridge / a WORM cartridge (IBM LTO codes). */
  readonly mediumTypeCode: number;
  readonly wormMediumTypeCode: number;
}

export interface TapeDriveProfile {
  readonly kind: 'tape';
  /** Stable key used in config, e.g. "ibm-ult3580-td6". */
  readonly name: string;
  readonly identity: InquiryIdentity;
  readonly serial: SerialFormat;
  /** READ BLOCK LIMITS (SSC-4 7.6). */
  readonly blockLimits: { readonly granularity: number; readonly min: number; readonly max: number };
  /** Densities in REPORT DENSITY SUPPORT order, newest first. */
  readonly densities: readonly DensityDescriptor[];
  readonly media: readonly MediaSupport[];
  /** Mode page 0Fh: whether DCE may be set, and the algorithm reported (01h = ALDC per SSC, 0x10 LTO/SLDC? vendor choice). */
  readonly compression: { readonly capable: boolean; readonly algorithm: number; readonly enabledByDefault: boolean };
  readonly capabilities: {
    /** Accepts WORM cartridges. */
    readonly worm: boolean;
    /** Partitions it can hold (mode page 11h MAXIMUM ADDITIONAL PARTITIONS + 1). */
    readonly maxPartitions: number;
    /** Answers READ MEDIA SERIAL NUMBER. */
    readonly mediaSerialNumber: boolean;
  };
}

/** First element address of each element type (SMC-3 mode page 1Dh). */
export interface ElementAddressBases {
  readonly transport: number;
  readonly storage: number;
  readonly importExport: number;
  readonly dataTransfer: number;
}

export interface ChangerProfile {
  readonly kind: 'changer';
  readonly name: string;
  readonly identity: InquiryIdentity;
  readonly serial: SerialFormat;
  readonly addressBases: ElementAddressBases;
  /** Upper bounds the real product has; the configuration may ask for fewer. */
  readonly limits: { readonly storage: number; readonly importExport: number; readonly dataTransfer: number };
  readonly capabilities: {
    readonly barcodeReader: boolean;
    readonly exchangeMedium: boolean;
    /**
     * DVCID identifier shape in data transfer descriptors: "vendor-product-serial"
     * (T10 vendor id: 8 + 16 + serial, as IBM 3584 and STK L-series report),
     * or "serial" (the unit serial number alone).
     */
    readonly dvcid: 'vendor-product-serial' | 'serial';
  };
}
