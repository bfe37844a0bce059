internal import CCurl
import Foundation
import LienThongCore

/// One thread that drives every transfer of a client through a libcurl multi handle, so that no transfer
/// ever blocks Swift's cooperative pool and one slow peer never holds up the others.
///
/// The multi handle and the transfers in it belong to the driver thread alone. Callers hand transfers over
/// through a mutex-protected inbox and wake the thread with `curl_multi_wakeup`; the thread completes each
/// caller's continuation when its transfer ends.
final class CurlDriver: Sendable {
    /// A transfer handed to the driver with the continuation waiting for it.
    private struct Submission: @unchecked Sendable {
        // Unchecked: the transfer is touched by the submitting task until it is queued, then by the driver
        // thread only; the inbox's mutex orders the handover.
        let transfer: EasyTransfer
        let continuation: CheckedContinuation<HTTPResponse, any Error>
    }

    private struct Inbox {
        var submissions: [Submission] = []
        var cancellations: [ObjectIdentifier] = []
        var stopping = false
    }

    /// Sendable wrapper for the multi handle's address; only the driver thread calls libcurl with it,
    /// apart from `curl_multi_wakeup`, which libcurl allows from any thread.
    private struct MultiHandle: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
    }

    private let multi: MultiHandle
    private let inbox = Locked(Inbox())
    private let finished = Locked(false)

    init() throws(HTTPError) {
        guard CurlRuntime.initialized, let pointer = curl_multi_init() else {
            throw HTTPError(.other, "libcurl could not make a multi handle")
        }
        multi = MultiHandle(pointer: pointer)
        let thread = Thread { [self] in run() }
        thread.name = "lienthong-curl"
        thread.start()
    }

    /// Runs `transfer` and returns its response; cancelling the calling task cancels the transfer.
    func perform(_ transfer: EasyTransfer) async throws -> HTTPResponse {
        let id = ObjectIdentifier(transfer)
        let box = TransferBox(transfer)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let accepted = inbox.withLock { inbox in
                    guard !inbox.stopping else { return false }
                    inbox.submissions.append(Submission(transfer: box.take(), continuation: continuation))
                    return true
                }
                if accepted {
                    curl_multi_wakeup(multi.pointer)
                } else {
                    continuation.resume(throwing: HTTPError(.shutDown, "GET \(box.url): the HTTP client is shut down"))
                }
            }
        } onCancel: {
            inbox.withLock { $0.cancellations.append(id) }
            curl_multi_wakeup(multi.pointer)
        }
    }

    /// Stops the thread: transfers still running end with `shutDown`. Returns once the thread has let go
    /// of the multi handle.
    func shutdown() {
        inbox.withLock { $0.stopping = true }
        curl_multi_wakeup(multi.pointer)
        while !finished.withLock({ $0 }) { usleep(1000) }
    }

    private func run() {
        var active: [UnsafeMutableRawPointer: Submission] = [:]
        while true {
            let (submissions, cancellations, stopping) = inbox.withLock { inbox in
                defer {
                    inbox.submissions.removeAll()
                    inbox.cancellations.removeAll()
                }
                return (inbox.submissions, inbox.cancellations, inbox.stopping)
            }
            for submission in submissions {
                let handle = submission.transfer.handle
                if curl_multi_add_handle(multi.pointer, handle) == CURLM_OK {
                    active[handle] = submission
                } else {
                    submission.continuation.resume(throwing: HTTPError(.other, "GET \(submission.transfer.url): libcurl refused the transfer"))
                }
            }
            // A cancellation for a transfer that already ended finds nothing here and is dropped.
            for id in cancellations {
                guard let (handle, submission) = active.first(where: { ObjectIdentifier($0.value.transfer) == id }) else { continue }
                end(handle, in: &active, with: .failure(HTTPError(.cancelled, "GET \(submission.transfer.url): cancelled")))
            }
            if stopping {
                for handle in Array(active.keys) {
                    end(handle, in: &active, with: .failure(HTTPError(.shutDown, "GET: the HTTP client is shut down")))
                }
                break
            }
            var running: Int32 = 0
            curl_multi_perform(multi.pointer, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi.pointer, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                    let submission = active[handle]
                else { continue }
                end(handle, in: &active, with: submission.transfer.result(message.pointee.data.result))
            }
            curl_multi_poll(multi.pointer, nil, 0, 1000, nil)
        }
        curl_multi_cleanup(multi.pointer)
        finished.withLock { $0 = true }
    }

    private func end(_ handle: UnsafeMutableRawPointer, in active: inout [UnsafeMutableRawPointer: Submission], with result: Result<HTTPResponse, HTTPError>) {
        guard let submission = active.removeValue(forKey: handle) else { return }
        curl_multi_remove_handle(multi.pointer, handle)
        submission.continuation.resume(with: result.mapError { $0 as any Error })
    }
}

/// Carries a transfer into the continuation's closure, which the compiler treats as crossing isolation.
private final class TransferBox: @unchecked Sendable {
    // Unchecked: the transfer is taken exactly once, on the submitting task, before the handover.
    private var transfer: EasyTransfer?
    let url: String

    init(_ transfer: EasyTransfer) {
        self.transfer = transfer
        url = transfer.url
    }

    func take() -> EasyTransfer {
        defer { transfer = nil }
        return transfer!
    }
}
