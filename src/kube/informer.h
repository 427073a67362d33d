// Informer: a local cache of one resource kept current by list + watch.
//
// Start() lists (in pages), then watches from the list's resourceVersion
// with bookmarks. A dropped connection or apiserver restart resumes the watch
// from the last seen resourceVersion after a jittered backoff; a 410 Gone
// relists and reconciles the cache with the fresh list (emitting add/update/
// delete for the differences), so handlers never miss a change's final state.
//
// Handlers run on the informer's thread, in event order, without the cache
// lock held; they may read the cache. Reads (Get/List/ListByIndex/Size) are
// thread-safe and never block on the network.
#pragma once

#include <boost/json/value.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kube/client.h"

namespace kbr::kube {

struct InformerOptions {
  Resource resource;
  std::string ns;              // "" for all namespaces / cluster-scoped
  std::string label_selector;  // server-side filters
  std::string field_selector;
  int64_t page_size = 500;
  // Label keys to index: ListByIndex(key, value) is then O(matches).
  std::vector<std::string> index_label_keys;
  int watch_timeout_seconds = 300;
  // What the cache keeps of each object, computed once per object version
  // (e.g. the JSON an API returns for it, so readers need not rebuild it per
  // request and the cache holds no more than they need). Handlers and readers
  // see the transformed form. A null result keeps the object out of reads; it
  // is still tracked, so deletes and relists stay right. Unset: the object as
  // listed, without metadata.managedFields. The cache keeps it as compact
  // JSON text (a fraction of a parsed value's memory).
  std::function<bj::value(const bj::value& obj)> transform;
};

struct EventHandler {
  std::function<void(const bj::value& obj)> on_add;
  std::function<void(const bj::value& old_obj, const bj::value& new_obj)> on_update;
  std::function<void(const bj::value& obj)> on_delete;
};

class Informer {
 public:
  // `client` must outlive the informer.
  Informer(Client& client, InformerOptions options);
  ~Informer();  // Stops.
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // REQUIRES: called before Start().
  void AddHandler(EventHandler handler);
  void Start();
  void Stop();
  // True once the first list has been applied; false on timeout.
  bool WaitForSync(std::chrono::milliseconds timeout) const;
  bool HasSynced() const { return synced_; }

  std::optional<bj::value> Get(const std::string& ns, const std::string& name) const;
  std::vector<bj::value> List() const;
  std::vector<bj::value> ListByIndex(const std::string& label_key, const std::string& value) const;
  // The cached (transformed) objects as JSON text, shared and immutable: no
  // copies, no parsing. TextsByIndex answers from a snapshot rebuilt only
  // after the cache changed, so repeated reads of a large unchanged cache
  // cost O(1). Order: by "ns/name".
  using JsonText = std::shared_ptr<const std::string>;
  using TextList = std::vector<JsonText>;
  TextList Texts() const;
  std::shared_ptr<const TextList> TextsByIndex(const std::string& label_key, const std::string& value) const;
  // Objects tracked, including those the transform left out of reads.
  size_t Size() const;
  // The last error of the list/watch loop ("" when healthy), for readiness.
  std::string LastError() const;
  // How many times the informer has (re)listed.
  int ListCount() const { return list_count_; }

 private:
  struct Notification {
    enum Kind { kAdd, kUpdate, kDelete } kind;
    bj::value old_obj;
    bj::value obj;
  };
  // What is kept per object: enough to reconcile a relist and maintain the
  // index without the object itself.
  struct Entry {
    std::string resource_version;
    // Values of options_.index_label_keys, in order (nullopt: label absent).
    std::vector<std::optional<std::string>> index_values;
    JsonText json;  // the transformed object; null when left out
  };
  struct KeyLess {  // orders index entries by the store key they point to
    bool operator()(const std::string* a, const std::string* b) const { return *a < *b; }
  };
  void Run();
  Status ListAndReplace();
  Status WatchFromLastVersion();
  // The entry for obj; *form receives the transformed object.
  Entry MakeEntry(bj::value obj, bj::value* form) const;
  // What handlers see of a stored entry (parsed only when there are handlers).
  bj::value FormOf(const Entry& entry) const;
  // Replaces (or adds) the entry under key; REQUIRES: mu_ held.
  void Put(const std::string& key, Entry entry);
  void Erase(std::map<std::string, Entry>::iterator it);  // REQUIRES: mu_ held
  // Applies one change under the lock; returns what handlers should see.
  std::optional<Notification> Apply(const std::string& type, bj::value obj);
  void Dispatch(const std::vector<Notification>& notes);
  // REQUIRES: mu_ held; `key` is the store_ node's own key.
  void IndexUpdate(const std::string& key, const Entry& entry, bool insert);
  bool SleepUnlessStopped(std::chrono::milliseconds d);

  Client& client_;
  InformerOptions options_;
  std::vector<EventHandler> handlers_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::map<std::string, Entry> store_;  // GUARDED_BY(mu_), key "ns/name"
  // label key -> value -> store keys (pointing into store_). GUARDED_BY(mu_)
  std::map<std::string, std::map<std::string, std::set<const std::string*, KeyLess>>> index_;
  uint64_t generation_ = 0;  // GUARDED_BY(mu_): bumped on every change of store_
  // (label key, value) -> (generation, snapshot). GUARDED_BY(mu_)
  mutable std::map<std::pair<std::string, std::string>, std::pair<uint64_t, std::shared_ptr<const TextList>>>
      snapshots_;
  std::string resource_version_;  // GUARDED_BY(mu_)
  std::string last_error_;        // GUARDED_BY(mu_)

  std::atomic<bool> synced_{false};
  std::atomic<bool> stop_{false};
  std::atomic<int> list_count_{0};
  std::thread thread_;
};

// "ns/name" (or "name" for cluster-scoped objects).
std::string ObjectKey(const bj::value& obj);

}  // namespace kbr::kube
