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
  lo.field_selector = options_.field_selector;
  lo.limit = options_.page_size;
  lo.arena = true;
  // Pages are reduced to entries as they arrive: a large list never sits in
  // memory whole.
  std::vector<std::pair<std::string, Entry>> entries;
  std::vector<bj::value> forms;  // for handlers, in the order of entries
  std::string rv;
  do {
    ASSIGN_OR_RETURN(ListPage page, client_.List(options_.resource, options_.ns, lo));
    for (auto& item : page.items) {
      std::string key = ObjectKey(item);
      bj::value form;
      entries.emplace_back(std::move(key), MakeEntry(std::move(item), handlers_.empty() ? nullptr : &form));
      forms.push_back(std::move(form));
    }
    rv = page.resource_version;
    lo.continue_token = page.continue_token;
  } while (!lo.continue_token.empty() && !stop_);

  std::vector<Notification> notes;
  {
    std::lock_guard<std::mutex> l(mu_);
    std::set<std::string> seen;
    for (size_t i = 0; i < entries.size(); ++i) {
      auto& [key, entry] = entries[i];
      seen.insert(key);
      auto it = store_.find(key);
      if (it == store_.end()) {
        if (!handlers_.empty()) notes.push_back({Notification::kAdd, nullptr, std::move(forms[i])});
        Put(key, std::move(entry));
      } else if (it->second.resource_version != entry.resource_version) {
        if (!handlers_.empty()) notes.push_back({Notification::kUpdate, FormOf(it->second), std::move(forms[i])});
        Put(key, std::move(entry));
      }
    }
    for (auto it = store_.begin(); it != store_.end();) {
      auto next = std::next(it);
      if (!seen.count(it->first)) {
        if (!handlers_.empty()) notes.push_back({Notification::kDelete, nullptr, FormOf(it->second)});
        Erase(it);
      }
      it = next;
    }
    resource_version_ = rv;
    last_error_.clear();
  }
  entries = {};
  forms = {};
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
  wo.field_selector = options_.field_selector;
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

Informer::Entry Informer::MakeEntry(bj::value obj, bj::value* form) const {
  Entry e;
  e.resource_version = json::GetString(obj, "metadata.resourceVersion");
  if (!options_.index_label_keys.empty()) {
    auto labels = LabelsOf(obj);
    for (const auto& k : options_.index_label_keys) {
      auto it = labels.find(k);
      e.index_values.push_back(it == labels.end() ? std::nullopt : std::optional<std::string>(it->second));
    }
  }
  bj::value t;
  if (options_.transform) {
    t = options_.transform(obj);
  } else {
    StripManagedFields(obj);
    t = std::move(obj);
  }
  if (!t.is_null()) e.json = std::make_shared<const std::string>(json::Serialize(t));
  if (form) *form = std::move(t);
  return e;
}

bj::value Informer::FormOf(const Entry& entry) const {
  if (!entry.json) return nullptr;
  auto v = json::Parse(*entry.json, "cached object");
  return v.ok() ? std::move(*v) : bj::value();
}

void Informer::Put(const std::string& key, Entry entry) {
  auto it = store_.find(key);
  if (it != store_.end()) {
    IndexUpdate(it->first, it->second, false);
    it->second = std::move(entry);
  } else {
    it = store_.emplace(key, std::move(entry)).first;
  }
  IndexUpdate(it->first, it->second, true);
  ++generation_;
}

void Informer::Erase(std::map<std::string, Entry>::iterator it) {
  IndexUpdate(it->first, it->second, false);
  store_.erase(it);
  ++generation_;
}

std::optional<Informer::Notification> Informer::Apply(const std::string& type, bj::value obj) {
  if (type == "BOOKMARK") {
    std::lock_guard<std::mutex> l(mu_);
    if (auto rv = json::GetString(obj, "metadata.resourceVersion"); !rv.empty()) resource_version_ = rv;
    return std::nullopt;
  }
  std::string key = ObjectKey(obj);
  bj::value form;
  Entry entry = MakeEntry(std::move(obj), &form);  // the transform runs outside the lock
  std::lock_guard<std::mutex> l(mu_);
  if (!entry.resource_version.empty()) resource_version_ = entry.resource_version;
  auto it = store_.find(key);
  if (type == "DELETED") {
    if (it == store_.end()) return std::nullopt;
    Erase(it);
    return Notification{Notification::kDelete, nullptr, std::move(form)};
  }
  Notification n{it == store_.end() ? Notification::kAdd : Notification::kUpdate,
                 it == store_.end() || handlers_.empty() ? bj::value() : FormOf(it->second), std::move(form)};
  Put(key, std::move(entry));
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

void Informer::IndexUpdate(const std::string& key, const Entry& entry, bool insert) {
  for (size_t i = 0; i < entry.index_values.size(); ++i) {
    if (!entry.index_values[i]) continue;
    auto& keys = index_[options_.index_label_keys[i]][*entry.index_values[i]];
    if (insert) {
      keys.insert(&key);
    } else {
      keys.erase(&key);
    }
  }
}

std::optional<bj::value> Informer::Get(const std::string& ns, const std::string& name) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = store_.find(ns.empty() ? name : ns + "/" + name);
  if (it == store_.end() || !it->second.json) return std::nullopt;
  return FormOf(it->second);
}

namespace {
std::vector<bj::value> ParseAll(const Informer::TextList& texts) {
  std::vector<bj::value> out;
  out.reserve(texts.size());
  for (const auto& t : texts) {
    if (auto v = json::Parse(*t, "cached object"); v.ok()) out.push_back(std::move(*v));
  }
  return out;
}
}  // namespace

std::vector<bj::value> Informer::List() const { return ParseAll(Texts()); }

std::vector<bj::value> Informer::ListByIndex(const std::string& label_key, const std::string& value) const {
  return ParseAll(*TextsByIndex(label_key, value));
}

Informer::TextList Informer::Texts() const {
  std::lock_guard<std::mutex> l(mu_);
  TextList out;
  out.reserve(store_.size());
  for (const auto& [k, e] : store_) {
    if (e.json) out.push_back(e.json);
  }
  return out;
}

std::shared_ptr<const Informer::TextList> Informer::TextsByIndex(const std::string& label_key,
                                                                const std::string& value) const {
  std::lock_guard<std::mutex> l(mu_);
  auto& snap = snapshots_[{label_key, value}];
  if (snap.second && snap.first == generation_) return snap.second;
  auto out = std::make_shared<TextList>();
  auto k = index_.find(label_key);
  if (k != index_.end()) {
    auto v = k->second.find(value);
    if (v != k->second.end()) {
      out->reserve(v->second.size());
      for (const auto& key : v->second) {
        if (auto it = store_.find(*key); it != store_.end() && it->second.json) out->push_back(it->second.json);
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
