// The names scenarios use for each of scenario.h's enums (sim/util/enum_names.h).
#include "pipeline/scenario/scenario.h"

namespace poisonsim {

const EnumNames<ArrivalKind>& arrival_kind_names() {
  static const EnumNames<ArrivalKind> names(
      "arrival process", {{ArrivalKind::fixed, "fixed"}, {ArrivalKind::poisson, "poisson"}});
  return names;
}

const EnumNames<KnowledgeKind>& knowledge_kind_names() {
  static const EnumNames<KnowledgeKind> names("attacker knowledge",
                                              {{KnowledgeKind::current, "current"},
                                               {KnowledgeKind::stale, "stale"},
                                               {KnowledgeKind::surrogate, "surrogate"}});
  return names;
}

const EnumNames<RetrainTrigger>& retrain_trigger_names() {
  static const EnumNames<RetrainTrigger> names(
      "retrain trigger",
      {{RetrainTrigger::interval, "interval"}, {RetrainTrigger::buffer, "buffer"}});
  return names;
}

const EnumNames<AttackTiming>& attack_timing_names() {
  static const EnumNames<AttackTiming> names("attack timing",
                                             {{AttackTiming::uniform, "uniform"},
                                              {AttackTiming::before_retrain, "before-retrain"},
                                              {AttackTiming::after_deploy, "after-deploy"},
                                              {AttackTiming::verdicts, "verdicts"}});
  return names;
}

const EnumNames<DefenseKnowledge>& defense_knowledge_names() {
  static const EnumNames<DefenseKnowledge> names(
      "defense knowledge", {{DefenseKnowledge::none, "none"}, {DefenseKnowledge::known, "known"}});
  return names;
}

const EnumNames<RetrainStart>& retrain_start_names() {
  static const EnumNames<RetrainStart> names(
      "retrain start", {{RetrainStart::deployed, "deployed"}, {RetrainStart::base, "base"}});
  return names;
}

const EnumNames<ModelSelection>& model_selection_names() {
  static const EnumNames<ModelSelection> names("model selection",
                                               {{ModelSelection::last, "last"},
                                                {ModelSelection::average, "average"},
                                                {ModelSelection::best, "best"}});
  return names;
}

const EnumNames<Eviction>& eviction_names() {
  static const EnumNames<Eviction> names(
      "eviction rule", {{Eviction::fifo, "fifo"}, {Eviction::reservoir, "reservoir"}});
  return names;
}

}  // namespace poisonsim
