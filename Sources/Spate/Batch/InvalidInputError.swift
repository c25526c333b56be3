/// An error that says a record's input could not be read (bytes that are not the format they should be), as
/// opposed to a failure of the user's code on a good record.
///
/// A `map`, `flatMap` or `filter` function that throws one drops the record and counts it in
/// `BatchInfo.invalidRecords` (beside the records a source dropped itself) instead of `failedRecords`; its
/// message goes to `BatchInfo.recordErrors` like any record error. Format decoders (`SpateFormats`) throw
/// errors of this kind, so a pipeline's undecodable input shows in one count whichever layer found it.
public protocol InvalidInputError: Error {}
