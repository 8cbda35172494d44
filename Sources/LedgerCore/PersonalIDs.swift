/// Resident identity numbers (居民身份证号码, GB 11643-1999): 17 digits and a
/// check character, `0`–`9` or `X`.
public enum ResidentIDNumber {
    /// The weights of the 17 digits, first to last.
    static let weights: [Int] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    /// The check character for each remainder of the weighted sum modulo 11.
    static let checkCharacters: [UInt8] = Array("10X98765432".utf8)

    /// Whether `bytes` is exactly 18 characters: 17 digits and the check
    /// character GB 11643 computes from them (an `x` counts as `X`).
    public static func isValid<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        guard bytes.count == 18 else { return false }
        var sum = 0
        var index = bytes.startIndex
        for weight in weights {
            let byte = bytes[index]
            guard byte >= 0x30 && byte <= 0x39 else { return false }
            sum += Int(byte - 0x30) * weight
            index = bytes.index(after: index)
        }
        var last = bytes[index]
        if last == 0x78 { last = 0x58 }  // x → X
        return last == checkCharacters[sum % 11]
    }

    public static func isValid(_ text: String) -> Bool { isValid(Array(text.utf8)) }
}

/// How output shows personal identity numbers: masked (the default) or in
/// full (`--show-personal-ids`). The one place every renderer asks, so that
/// every output of the tool (tables, JSON, CSV, journals, messages) and any
/// later service masks them the same way.
///
/// What is masked:
/// - the value of a field the event catalogue marks as personal
///   (``Field/isPersonal``: `person`), wherever it is shown, also as the
///   `P` of a subject, stream or account `person:P`;
/// - any resident identity number with a valid GB 11643 check character
///   found anywhere else in the text (an event id, a reference, a reason, a
///   message): a run of exactly 18 letters and digits, not part of a longer one.
///
/// A masked value keeps its first 4 and last 4 characters and shows `*` for
/// each one between: `220102199001011234` → `2201**********1234`. The mask is
/// a function of the value alone, so the same person always looks the same;
/// two people may look alike, so anything that counts or adds up people does
/// so on the real value and masks only what it prints. A value of 8
/// characters or fewer has nothing between its first and last four and is
/// shown as it is (a source system's short pseudonym, never an identity number).
public struct PersonalIDMasking: Sendable, Hashable {
    /// Whether personal ids are shown in full.
    public let showsPersonalIDs: Bool

    public init(showsPersonalIDs: Bool) { self.showsPersonalIDs = showsPersonalIDs }

    /// Masked: the default of every output.
    public static let masked = PersonalIDMasking(showsPersonalIDs: false)
    /// In full: only on request (`--show-personal-ids`).
    public static let shown = PersonalIDMasking(showsPersonalIDs: true)

    /// Characters kept at each end of a masked value.
    public static let keptAtEachEnd = 4

    /// `value` with all but its first and last four characters replaced by `*`.
    public static func mask(_ value: String) -> String {
        let characters = Array(value)
        guard characters.count > 2 * keptAtEachEnd else { return value }
        return String(characters.prefix(keptAtEachEnd))
            + String(repeating: "*", count: characters.count - 2 * keptAtEachEnd)
            + String(characters.suffix(keptAtEachEnd))
    }

    /// The value of a personal field (a person id) as output shows it.
    public func personal(_ value: String) -> String {
        showsPersonalIDs ? value : Self.mask(value)
    }

    /// The value of `field` as output shows it: masked whole when the field
    /// is personal, else with any identity number inside it masked.
    public func value(_ text: String, field: Field) -> String {
        field.isPersonal ? personal(text) : self.text(text)
    }

    /// A subject, stream or account name such as `person:P`, `loan:L` or
    /// `fund:F/R/Y`: the `P` of `person:P` is personal; any identity number
    /// elsewhere in the name is masked too.
    public func subject(_ name: String) -> String {
        guard !showsPersonalIDs else { return name }
        if name.hasPrefix(Self.personPrefix) {
            return Self.personPrefix + personal(String(name.dropFirst(Self.personPrefix.count)))
        }
        return text(name)
    }

    static let personPrefix = "person:"

    /// The first part of `event` this masking would hide, as `(where, shown)`
    /// such as `("data.person", "2201**********1234")`, or nil when the
    /// event is shown whole. `prove` asks this before it writes an event's
    /// exact bytes.
    public func firstMaskedPart(of event: Event) -> (place: String, shown: String)? {
        guard !showsPersonalIDs else { return nil }
        let id = text(event.id)
        if id != event.id { return ("id", id) }
        for (field, value) in event.data.entries {
            guard case .string(let raw) = value else { continue }
            let shown = self.value(raw, field: field)
            if shown != raw { return ("data." + field.name, shown) }
        }
        if let stream = event.expect?.stream, subject(stream) != stream { return ("expect.stream", subject(stream)) }
        return nil
    }

    /// Free text (a message, an id, a journal) with every resident identity
    /// number in it masked; and, when `people` is given, every whole word
    /// that is one of those person ids (a sentence that names a person).
    /// `person` is one more such id (a finding's subject), so that a caller
    /// need not copy a set of every person to add one.
    public func text(_ text: String, people: Set<String> = [], alsoNaming person: String? = nil) -> String {
        guard !showsPersonalIDs else { return text }
        // Most text holds no identity number: find that out without copying it.
        if people.isEmpty && person == nil && !Self.holdsIdentityNumber(text) { return text }
        let bytes = Array(text.utf8)
        var replacements: [(range: Range<Int>, with: String)] = []
        var index = 0
        while index < bytes.count {
            guard Self.isWordByte(bytes[index]) else {
                index += 1
                continue
            }
            var end = index
            while end < bytes.count && Self.isWordByte(bytes[end]) { end += 1 }
            replacements += Self.maskedParts(of: bytes, index..<end, people: people, alsoNaming: person)
            index = end
        }
        guard !replacements.isEmpty else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var position = 0
        for replacement in replacements {
            out += bytes[position..<replacement.range.lowerBound]
            out += Array(replacement.with.utf8)
            position = replacement.range.upperBound
        }
        out += bytes[position...]
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether some run of exactly 18 letters and digits in `text` is a
    /// resident identity number.
    static func holdsIdentityNumber(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var start = 0
            while start < bytes.count {
                guard isAlphanumeric(bytes[start]) else {
                    start += 1
                    continue
                }
                var end = start
                while end < bytes.count && isAlphanumeric(bytes[end]) { end += 1 }
                if end - start == 18 && ResidentIDNumber.isValid(UnsafeBufferPointer(rebasing: bytes[start..<end])) { return true }
                start = end
            }
            return false
        }
    }

    /// Bytes of an identifier: `A–Z a–z 0–9 . _ : -`.
    static func isWordByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == 0x2E || byte == 0x5F || byte == 0x3A || byte == 0x2D
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    /// The parts of one identifier-like word to mask: a known person id
    /// (the word, the word without `person:`, or without a trailing `.`,
    /// `:` or `-` that ends a sentence), else every run of 18 letters and
    /// digits that is a resident identity number.
    static func maskedParts(of bytes: [UInt8], _ word: Range<Int>, people: Set<String>,
                            alsoNaming person: String? = nil) -> [(range: Range<Int>, with: String)] {
        if !people.isEmpty || person != nil {
            // The word itself, then without `person:` when it starts so.
            let withoutPrefix = bytes[word].starts(with: personPrefix.utf8) ? word.lowerBound + personPrefix.utf8.count : word.lowerBound
            for candidateStart in withoutPrefix == word.lowerBound ? [word.lowerBound] : [word.lowerBound, withoutPrefix] {
                var end = word.upperBound
                while end > candidateStart {
                    let candidate = String(decoding: bytes[candidateStart..<end], as: UTF8.self)
                    if candidate == person || people.contains(candidate) {
                        let masked = mask(candidate)
                        return masked == candidate ? [] : [(candidateStart..<end, masked)]
                    }
                    let last = bytes[end - 1]
                    guard last == 0x2E || last == 0x3A || last == 0x2D else { break }
                    end -= 1
                }
            }
        }
        var parts: [(range: Range<Int>, with: String)] = []
        var index = word.lowerBound
        while index < word.upperBound {
            guard isAlphanumeric(bytes[index]) else {
                index += 1
                continue
            }
            var end = index
            while end < word.upperBound && isAlphanumeric(bytes[end]) { end += 1 }
            if end - index == 18 && ResidentIDNumber.isValid(bytes[index..<end]) {
                parts.append((index..<end, mask(String(decoding: bytes[index..<end], as: UTF8.self))))
            }
            index = end
        }
        return parts
    }
}
