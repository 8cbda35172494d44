/// Text forms of stored values, shared by every output format.
public enum ValueText {
    /// The value as the input format writes it, amounts normalised to two decimals.
    public static func text(_ value: FieldValue, field: Field) -> String {
        switch value {
        case .string(let text): return text
        case .date(let date): return date.description
        case .month(let month): return month.description
        case .money(let money): return money.yuan
        case .integer(let number): return String(number)
        case .code(let code):
            for type in EventType.allCases {
                if case .enumeration(let vocabulary)? = type.kind(of: field) { return vocabulary.name(of: code) ?? String(code) }
            }
            return String(code)
        }
    }

    /// The value as output shows it: a personal field's value masked as
    /// `masking` says (``PersonalIDMasking``).
    public static func text(_ value: FieldValue, field: Field, masking: PersonalIDMasking) -> String {
        if case .string(let text) = value { return masking.value(text, field: field) }
        return self.text(value, field: field)
    }

    /// Whether JSON writes the value as a number rather than a string.
    public static func isNumber(_ value: FieldValue) -> Bool {
        if case .integer = value { return true }
        return false
    }
}
