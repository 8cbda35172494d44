extension EventParser {
    /// Whether a stored record satisfies every rule ``validateStored(_:)``
    /// checks, read in place. The same rules, the same answer: a record this
    /// refuses is one `validateStored` refuses (call it then for the reason),
    /// and one it accepts `validateStored` accepts.
    public func isValidStored(_ record: EventRecordView) -> Bool {
        let id = record.id
        guard id.count > 0, id.count <= Identifier.maxLength, id.allSatisfy(Identifier.isIdentifierByte) else { return false }
        guard Self.dateRange.contains(record.effective.dayNumber) else { return false }
        for spec in record.type.schema {
            guard record.has(spec.field) else {
                if spec.required { return false }
                continue
            }
            let valid: Bool
            switch spec.kind {
            case .identifier:
                let bytes = record.bytes(spec.field)
                valid = bytes.count > 0 && bytes.count <= Identifier.maxLength && bytes.allSatisfy(Identifier.isIdentifierByte)
            case .text:
                valid = Self.isValidText(record.bytes(spec.field))
            case .region:
                let bytes = record.bytes(spec.field)
                valid = bytes.count == 6 && bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
            case .date:
                valid = Self.dateRange.contains(record.date(spec.field).dayNumber)
            case .monthOrDate:
                valid = record.holdsDate(spec.field) ? Self.dateRange.contains(record.date(spec.field).dayNumber)
                    : Self.monthRange.contains(record.month(spec.field).index)
            case .money:
                valid = record.fen(spec.field) > 0
            case .fiscalYear:
                valid = (Self.minFiscalYear...Self.maxFiscalYear).contains(record.integer(spec.field))
            case .basisPoints:
                valid = (0...Self.maxBasisPoints).contains(record.integer(spec.field))
            case .enumeration(let vocabulary):
                valid = vocabulary.name(of: record.code(spec.field)) != nil
            }
            guard valid else { return false }
        }
        return relationsHold(record)
    }

    /// Non-empty, at most 256 bytes, no control character: no byte below
    /// 0x20, no DEL, and no U+0080–U+009F (encoded C2 80 … C2 9F). The bytes
    /// are valid UTF-8 (the record view checked them).
    static func isValidText(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count > 0, bytes.count <= Identifier.maxTextBytes else { return false }
        var previous: UInt8 = 0
        for byte in bytes {
            if byte < 0x20 || byte == 0x7F { return false }
            if previous == 0xC2 && byte >= 0x80 && byte <= 0x9F { return false }
            previous = byte
        }
        return true
    }

    /// `checkRelations` on a stored record.
    private func relationsHold(_ record: EventRecordView) -> Bool {
        switch record.type {
        case .personRegistered:
            return !(record.has(.birthDate) && record.date(.birthDate) > record.effective)
        case .personCertified:
            let isGraduate = record.code(.kind) == Vocabulary.certification.code(of: "college-graduate")
            if isGraduate != record.has(.graduationDate) { return false }
            return !(record.has(.validUntil) && record.date(.validUntil) < record.effective)
        case .fundTransferred:
            return !record.bytes(.fromRegion).elementsEqual(record.bytes(.toRegion))
        case .subsidyGranted, .loanInterestDiscounted:
            switch (record.has(.periodStart), record.has(.periodEnd)) {
            case (false, false): return true
            case (true, true):
                let startIsDate = Self.holdsDate(record, .periodStart), endIsDate = Self.holdsDate(record, .periodEnd)
                guard startIsDate == endIsDate else { return false }
                return startIsDate ? record.date(.periodStart) <= record.date(.periodEnd)
                    : record.month(.periodStart) <= record.month(.periodEnd)
            default: return false
            }
        case .loanIssued:
            guard record.has(.person) != record.has(.enterprise) else { return false }
            return !(record.has(.maturity) && record.date(.maturity) <= record.effective)
        default:
            return true
        }
    }

    /// A period field holds a date: a `date` field always, a month-or-date
    /// field when its form says so.
    private static func holdsDate(_ record: EventRecordView, _ field: Field) -> Bool {
        record.type.kind(of: field) == .date || record.holdsDate(field)
    }
}
