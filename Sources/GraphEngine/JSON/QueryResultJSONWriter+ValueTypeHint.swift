import CLadybug

extension QueryResultJSONWriter {
    /// What is known before reading them about the values at one place of a result: a column, or the
    /// elements of a list. Lets the tuple path skip asking the engine for each value's type (which
    /// allocates) where the declared type already says it.
    indirect enum ValueTypeHint {
        /// Values of this `lbug_data_type_id` (raw value); their children, if any, are looked up per
        /// value.
        case known(UInt32)
        /// LIST or ARRAY (`id`) whose elements are of type `element`.
        case list(id: UInt32, element: ValueTypeHint)
        /// Ask each value for its type.
        case unknown

        /// Describes `type`, following LIST and ARRAY element types.
        init(_ type: UnsafeMutablePointer<lbug_logical_type>) {
            let id = lbug_data_type_get_id(type).rawValue
            guard id == LBUG_LIST.rawValue || id == LBUG_ARRAY.rawValue else {
                self = .known(id)
                return
            }
            var child = lbug_logical_type()
            guard lbug_data_type_get_child_type(type, &child) == LbugSuccess else {
                self = .known(id)
                return
            }
            self = .list(id: id, element: ValueTypeHint(&child))
            lbug_data_type_destroy(&child)
        }

        /// The type id, or `LBUG_ANY` when unknown.
        var id: UInt32 {
            switch self {
            case .known(let id): id
            case .list(let id, _): id
            case .unknown: LBUG_ANY.rawValue
            }
        }
    }

    /// Type ids the engine uses that its C header does not name.
    enum UnnamedTypeID {
        /// `LogicalTypeID::UINT128`.
        static let uint128: UInt32 = 43
        /// `LogicalTypeID::JSON`.
        static let json: UInt32 = 60
    }
}
