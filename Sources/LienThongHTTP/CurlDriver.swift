internal import CCurl
import Foundation
import LienThongCore

/// The thread that drives every transfer of a client through a libcurl multi handle, for as long as
/// ``run()`` runs, so that no transfer ever blocks Swift's cooperative pool and one slow peer never holds
/// up the others.
///
/// The multi handle and the transfers in it belong to the driver thread alone. Callers hand transfers over
/// through a mutex-protected inbox and wake the thread with `curl_multi_wakeup`; the thread completes each
/// caller's continuation when its transfer ends. Transfers handed over before ``run()`` wait in the inbox.
final class CurlDriver: Sendable {
    /// A transfer handed to the driver with the continuation waiting for it.
    private struct Submission: @unchecked Sendable {
        // Unchecked: the transfer is touched by the submitting task until it is queued, then by the driver
        // thread only; the inbox's mutex orders the handover.
        let transfer: EasyTransfer
        let continuation: CheckedContinuation<HTTPResponse, any Error>
    }

    /// Where the driver is in its one life: not started, driving on its thread, or done.
    private enum Phase {
        case idle, running, finished
    }

    private struct Inbox {
        var submissions: [Submission] = []
        var cancellations: [ObjectIdentifier] = []
        var stopping = false
        var phase = Phase.idle
    }

    /// Sendable wrapper for the multi handle's address; only the driver thread calls libcurl with it,
    /// apart from `curl_multi_wakeup`, which libcurl allows from any thread.
    private struct MultiHandle: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
    }

    private let multi: MultiHandle
    private let inbox = Locked(Inbox())

    init() throws(HTTPError) {
        guard CurlRuntime.initialized, let pointer = curl_multi_init() else {
            throw HTTPError(.other, "libcurl could not make a multi handle")
        }
        multi = MultiHandle(pointer: pointer)
    }

    deinit {
        let phase = inbox.withLock { $0.phase }
        // A client that ran has ended its run (the run holds it); one that never ran still owns its handle.
        assert(phase != .running, "an HTTPClient was released while it ran")
        if phase == .idle { curl_multi_cleanup(multi.pointer) }
    }

    /// Drives transfers on a thread of its own until ``stop()``, and returns once the thread has let go of
    /// the multi handle. A second call returns at once.
    func run() async {
        let starts = inbox.withLock { inbox in
            guard inbox.phase == .idle else { return false }
            inbox.phase = .running
            return true
        }
        guard starts else { return }
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                drive()
                inbox.withLock { $0.phase = .finished }
                finished.resume()
            }
            thread.name = "lienthong-curl"
            thread.start()
        }
    }

    /// Ends ``run()``: transfers still running end with `shutDown`, and later ones are refused.
    func stop() {
        inbox.withLock { $0.stopping = true }
        curl_multi_wakeup(multi.pointer)
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

    private func drive() {
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
