#include "kube/informer.h"

#include "core/backoff.h"
#include "core/json.h"
#include "core/log.h"
#include "kube/label_selector.h"

namespace kbr::kube {

std::string ObjectKey(const bj::value& obj) {
  std::string ns = json::GetString(obj, "metadata.namespace");
  std::string name = json::GetString(obj, "metadata.name");
  return ns.empty() ? name : ns + "/" + name;
}

namespace {
// Nobody reads managed fields from a cache; they are a large share of an
// object's size.
void StripManagedFields(bj::value& obj) {
  if (auto* meta = json::Find(obj, "metadata"); meta && meta->is_object()) meta->as_object().erase("managedFields");
}
}  // namespace

Informer::Informer(Client& client, InformerOptions options) : client_(client), options_(std::move(options)) {}

Informer::~Informer() { Stop(); }

void Informer::AddHandler(EventHandler handler) { handlers_.push_back(std::move(handler)); }

void Informer::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Informer::Stop() {
  stop_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Informer::WaitForSync(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> l(mu_);
  return cv_.wait_for(l, timeout, [this] { return synced_.load(); });
}

bool Informer::SleepUnlessStopped(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> l(mu_);
  return !cv_.wait_for(l, d, [this] { return stop_.load(); });
}

void Informer::Run() {
  Backoff backoff({.initial = Duration(200), .max = Duration(5000)});
  bool need_list = true;
  while (!stop_) {
    Status s = need_list ? ListAndReplace() : WatchFromLastVersion();
    if (s.ok()) {
      if (need_list) backoff.Reset();
      need_list = false;
      continue;
    }
    if (stop_) break;
    if (s.code() == StatusCode::kGone) {
      spdlog::info("informer {}: resourceVersion expired, relisting", options_.resource.plural);
      need_list = true;
      continue;
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      last_error_ = s.message();
    }
    spdlog::warn("informer {}: {} (retrying)", options_.resource.plural, s.message());
    SleepUnlessStopped(backoff.Next());
  }
}

Status Informer::ListAndReplace() {
  ListOptions lo;
  lo.label_selector = options_.label_selector;
  lo.limit = options_.page_size;
  std::vector<bj::value> items;
  std::string rv;
  do {
    ASSIGN_OR_RETURN(ListPage page, client_.List(options_.resource, options_.ns, lo));
    for (auto& item : page.items) {
      StripManagedFields(item);
      items.push_back(std::move(item));
    }
    rv = page.resource_version;
    lo.continue_token = page.continue_token;
  } while (!lo.continue_token.empty() && !stop_);

  std::vector<Notification> notes;
  {
    std::lock_guard<std::mutex> l(mu_);
    std::set<std::string> seen;
    for (auto& item : items) {
      std::string key = ObjectKey(item);
      seen.insert(key);
      auto it = store_.find(key);
      if (it == store_.end()) {
        IndexInsert(key, item);
        SetView(key, item);
        notes.push_back({Notification::kAdd, {}, item});
        store_.emplace(key, std::move(item));
      } else if (json::GetString(it->second, "metadata.resourceVersion") !=
                 json::GetString(item, "metadata.resourceVersion")) {
        IndexErase(key, it->second);
        IndexInsert(key, item);
        SetView(key, item);
        notes.push_back({Notification::kUpdate, it->second, item});
        it->second = std::move(item);
      }
    }
    for (auto it = store_.begin(); it != store_.end();) {
      if (seen.count(it->first)) {
        ++it;
        continue;
      }
      IndexErase(it->first, it->second);
      views_.erase(it->first);
      ++generation_;
      notes.push_back({Notification::kDelete, {}, std::move(it->second)});
      it = store_.erase(it);
    }
    resource_version_ = rv;
    last_error_.clear();
  }
  ++list_count_;
  Dispatch(notes);
  synced_ = true;
  cv_.notify_all();
  return Status::Ok();
}

Status Informer::WatchFromLastVersion() {
  WatchOptions wo;
  {
    std::lock_guard<std::mutex> l(mu_);
    wo.resource_version = resource_version_;
  }
  wo.label_selector = options_.label_selector;
  wo.timeout_seconds = options_.watch_timeout_seconds;
  return client_.WatchOnce(
      options_.resource, options_.ns, wo,
      [this](WatchEvent&& ev) {
        auto note = Apply(ev.type, std::move(ev.object));
        if (note) Dispatch({*note});
        {
          std::lock_guard<std::mutex> l(mu_);
          last_error_.clear();
        }
        return !stop_;
      },
      [this] { return stop_.load(); });
}

std::optional<Informer::Notification> Informer::Apply(const std::string& type, bj::value obj) {
  StripManagedFields(obj);
  std::lock_guard<std::mutex> l(mu_);
  std::string rv = json::GetString(obj, "metadata.resourceVersion");
  if (!rv.empty()) resource_version_ = rv;
  if (type == "BOOKMARK") return std::nullopt;
  std::string key = ObjectKey(obj);
  auto it = store_.find(key);
  if (type == "DELETED") {
    if (it == store_.end()) return std::nullopt;
    IndexErase(key, it->second);
    views_.erase(key);
    ++generation_;
    store_.erase(it);
    return Notification{Notification::kDelete, {}, std::move(obj)};
  }
  SetView(key, obj);
  if (it == store_.end()) {
    IndexInsert(key, obj);
    store_.emplace(key, obj);
    return Notification{Notification::kAdd, {}, std::move(obj)};
  }
  IndexErase(key, it->second);
  IndexInsert(key, obj);
  Notification n{Notification::kUpdate, std::move(it->second), obj};
  it->second = std::move(obj);
  return n;
}

void Informer::Dispatch(const std::vector<Notification>& notes) {
  for (const auto& n : notes) {
    for (const auto& h : handlers_) {
      if (n.kind == Notification::kAdd && h.on_add) h.on_add(n.obj);
      if (n.kind == Notification::kUpdate && h.on_update) h.on_update(n.old_obj, n.obj);
      if (n.kind == Notification::kDelete && h.on_delete) h.on_delete(n.obj);
    }
  }
}

void Informer::IndexInsert(const std::string& key, const bj::value& obj) {
  if (options_.index_label_keys.empty()) return;
  auto labels = LabelsOf(obj);
  for (const auto& k : options_.index_label_keys) {
    if (auto it = labels.find(k); it != labels.end()) index_[k][it->second].insert(key);
  }
}

void Informer::IndexErase(const std::string& key, const bj::value& obj) {
  if (options_.index_label_keys.empty()) return;
  auto labels = LabelsOf(obj);
  for (const auto& k : options_.index_label_keys) {
    if (auto it = labels.find(k); it != labels.end()) index_[k][it->second].erase(key);
  }
}

std::optional<bj::value> Informer::Get(const std::string& ns, const std::string& name) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = store_.find(ns.empty() ? name : ns + "/" + name);
  if (it == store_.end()) return std::nullopt;
  return it->second;
}

std::vector<bj::value> Informer::List() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<bj::value> out;
  out.reserve(store_.size());
  for (const auto& [k, v] : store_) out.push_back(v);
  return out;
}

std::vector<bj::value> Informer::ListByIndex(const std::string& label_key, const std::string& value) const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<bj::value> out;
  auto k = index_.find(label_key);
  if (k == index_.end()) return out;
  auto v = k->second.find(value);
  if (v == k->second.end()) return out;
  for (const auto& key : v->second) out.push_back(store_.at(key));
  return out;
}

void Informer::SetView(const std::string& key, const bj::value& obj) {
  if (!options_.view) return;
  ++generation_;
  bj::value v = options_.view(obj);
  if (v.is_null()) {
    views_.erase(key);
  } else {
    views_[key] = std::make_shared<const bj::value>(std::move(v));
  }
}

Informer::ViewList Informer::Views() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::shared_ptr<const bj::value>> out;
  out.reserve(views_.size());
  for (const auto& [k, v] : views_) out.push_back(v);
  return out;
}

std::shared_ptr<const Informer::ViewList> Informer::ViewsByIndex(const std::string& label_key,
                                                                const std::string& value) const {
  std::lock_guard<std::mutex> l(mu_);
  auto& snap = view_snapshots_[{label_key, value}];
  if (snap.second && snap.first == generation_) return snap.second;
  auto out = std::make_shared<ViewList>();
  auto k = index_.find(label_key);
  if (k != index_.end()) {
    auto v = k->second.find(value);
    if (v != k->second.end()) {
      out->reserve(v->second.size());
      for (const auto& key : v->second) {
        if (auto it = views_.find(key); it != views_.end()) out->push_back(it->second);
      }
    }
  }
  snap = {generation_, out};
  return out;
}

size_t Informer::Size() const {
  std::lock_guard<std::mutex> l(mu_);
  return store_.size();
}

std::string Informer::LastError() const {
  std::lock_guard<std::mutex> l(mu_);
  return last_error_;
}

}  // namespace kbr::kube
