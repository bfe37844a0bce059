public import LienThongCore
public import LienThongMerge

/// Input that can be read from the start more than once, a chunk at a time: `lienthong put`'s file.
public typealias RereadableInput = (_ chunk: ([UInt8]) throws -> Void) throws -> Void

/// Why local edits were not all applied, in one line.
public struct LocalEditImportError: Error, LienThongCore.LocalizedError {
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ name: String) { description = name }

        /// A line is not an edit, or its edit breaks a record rule: nothing was applied.
        public static let badLine = Reason("bad line")
        /// The store failed part-way: the edits of ``LocalEditImportError/applied`` lines were applied, in whole
        /// transactions, the rest not.
        public static let storeFailed = Reason("store failed")
    }

    public let reason: Reason
    /// How many edits were applied before the failure.
    public let applied: Int
    public let message: LocalizedMessage
}

extension Store {
    /// Edits per transaction, and the bytes of their lines, at most, when applying local edits.
    public static let localEditBatch = (edits: 10_000, bytes: 16 << 20)

    /// Applies the edits of `input` (``LocalEditLines``) to `dataset` as local edits of `agency`, in bounded
    /// transactions, holding one transaction's edits at a time.
    ///
    /// Two passes over the input keep a bad line from applying anything: the first reads every line and checks
    /// it as a peer would check the version it becomes (the line rules, the record rules, the size the version
    /// would have as the record's first edit); only then does the second apply, ``localEditBatch`` at a time.
    /// A version that turns out too large in the second pass (a record whose concurrent siblings give it a
    /// long vector) stops the import there, as a store failure does: the transactions before it stay applied.
    ///
    /// `validate` checks each edit's data that is not a deletion (the dataset's schema, docs/SCHEMA.md): the
    /// problem it returns makes the line bad, in the first pass; `schemaTag` names that schema in the own feed.
    public func applyLocalEdits(
        from input: RereadableInput, dataset: DatasetName, agency: AgencyID, policy: MergePolicy, schemaTag: Int64 = 0,
        validate: @escaping (JSONValue) -> String? = { _ in nil }
    ) throws(LocalEditImportError) -> Int {
        do {
            var reader = LocalEditLines.Reader()
            func check(_ edit: LocalEditLines.Edit) throws {
                try Self.checkAsFirstEdit(edit, dataset: dataset, agency: agency)
                if !edit.deleted, let problem = validate(edit.data) { throw LocalEditLines.LineError(line: edit.line, problem: LocalizedMessage("edit-line.schema", ["problem": problem])) }
            }
            try input { chunk in try reader.read(chunk, check) }
            try reader.finish(check)
        } catch {
            throw LocalEditImportError(
                reason: .badLine, applied: 0, message: LocalizedMessage("put.bad-line", messages: ["error": LocalizedMessage(of: error)])
            )
        }
        var applied = 0
        var batch: [LocalEditLines.Edit] = []
        var batchBytes = 0
        func flush() throws {
            guard !batch.isEmpty else { return }
            let edits = batch
            try write { transaction in
                for edit in edits {
                    let version = try transaction.edit(
                        dataset: dataset, id: edit.id, agency: agency, deleted: edit.deleted, data: edit.data, policy: policy, schemaTag: schemaTag
                    )
                    do {
                        try version.checkSize()
                    } catch {
                        throw LocalEditLines.LineError(line: edit.line, problem: "\(error)")
                    }
                }
            }
            applied += edits.count
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
        }
        do {
            var reader = LocalEditLines.Reader()
            let add: (LocalEditLines.Edit) throws -> Void = { edit in
                batch.append(edit)
                batchBytes += edit.bytes
                if batch.count >= Self.localEditBatch.edits || batchBytes >= Self.localEditBatch.bytes { try flush() }
            }
            try input { chunk in try reader.read(chunk, add) }
            try reader.finish(add)
            try flush()
        } catch {
            throw LocalEditImportError(
                reason: .storeFailed, applied: applied,
                message: LocalizedMessage("put.store-failed", ["applied": "\(applied)"], messages: ["error": LocalizedMessage(of: error)])
            )
        }
        return applied
    }

    /// Refuses an edit whose version, made as the record's first edit here, a peer would refuse.
    private static func checkAsFirstEdit(_ edit: LocalEditLines.Edit, dataset: DatasetName, agency: AgencyID) throws {
        let version = RecordVersion(
            dataset: dataset, id: edit.id, origin: agency, hlc: HybridTimestamp(milliseconds: 0, counter: 0), vv: VersionVector([agency: 1]),
            deleted: edit.deleted, data: edit.data
        )
        do {
            try version.checkSize()
        } catch {
            throw LocalEditLines.LineError(line: edit.line, problem: "\(error)")
        }
    }
}
