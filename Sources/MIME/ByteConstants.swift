// The bytes the MIME readers (PartParser, StreamingReader) look for.

let LF: UInt8 = 0x0A
let CR: UInt8 = 0x0D
let SP: UInt8 = 0x20
let HT: UInt8 = 0x09
let COLON: UInt8 = 0x3A
let DASH: UInt8 = 0x2D
