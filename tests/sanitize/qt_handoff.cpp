// Linked into every test of the ThreadSanitizer build (tests/CMakeLists.txt). Qt is not
// instrumented, so TSan cannot see that Qt's event queue (a mutex TSan does not know) orders a
// signal emitted in one thread before its queued delivery in another, and reports every value
// handed over that way as a race. This hook names that order: each emitted signal releases one
// token, each delivered event acquires it: what Qt's queue mutex guarantees, and no more.
#include <QCoreApplication>
#include <QObject>

extern "C" void __tsan_acquire(void* address);
extern "C" void __tsan_release(void* address);

// Qt's signal spy hooks (qobject_p.h, exported by QtCore; QtTest's -vs option uses them).
struct QSignalSpyCallbackSet {
    using BeginCallback = void (*)(QObject* caller, int signalOrMethodIndex, void** argv);
    using EndCallback = void (*)(QObject* caller, int signalOrMethodIndex);
    BeginCallback signal_begin_callback, slot_begin_callback;
    EndCallback signal_end_callback, slot_end_callback;
};
void qt_register_signal_spy_callbacks(QSignalSpyCallbackSet* callbacks);

namespace {

char queueToken;

void signalEmitted(QObject*, int, void**) {
    __tsan_release(&queueToken);
}

// Again when the emit returns: a queued connection copies the signal's arguments (QMetaType::create)
// after the begin callback, and those copies are what the receiving thread reads. Released only at
// the begin, the copies were unordered, and TSan reported one now and then (test_engine_worker,
// taskStarted(Task)). A delivery that overtakes the rest of the emit, a window of microseconds
// after Qt has posted the event, is still not covered.
void signalDone(QObject*, int) {
    __tsan_release(&queueToken);
}

bool eventDelivered(void**) {
    __tsan_acquire(&queueToken);
    return false;  // Qt delivers the event as usual
}

QSignalSpyCallbackSet callbacks{signalEmitted, nullptr, signalDone, nullptr};

void install() {
    qt_register_signal_spy_callbacks(&callbacks);
    QInternal::registerCallback(QInternal::EventNotifyCallback, eventDelivered);
}

}  // namespace

Q_COREAPP_STARTUP_FUNCTION(install)
