// Node-API glue for the thread policy's test hooks (threads.c): feed team_small's judge a region's
// timing and read its decision, without needing a machine that is busy in just the right way.
#include <node_api.h>
#include "common.h"

static napi_value js_team_observe(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  double own = 0, wait = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_double(env, argv[0], &own) != napi_ok || napi_get_value_double(env, argv[1], &wait) != napi_ok) {
    napi_throw_type_error(env, "ERR_PONDER_NATIVE", "ponder_native.teamObserve(ownNs, waitNs): two numbers");
    return NULL;
  }
  team_observe((long)own, (long)wait);
  return NULL;
}

// The thread count team_small grants a small region asking for nt (it uses up one calm region).
static napi_value js_team_small(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  int32_t nt = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &nt) != napi_ok || nt < 1) {
    napi_throw_type_error(env, "ERR_PONDER_NATIVE", "ponder_native.teamSmall(nt): a positive integer");
    return NULL;
  }
  napi_create_int32(env, team_small(nt), &out);
  return out;
}

static napi_value js_team_policy_reset(napi_env env, napi_callback_info info) {
  (void)env; (void)info;
  team_policy_reset();
  return NULL;
}

void register_threads(napi_env env, napi_value exports) {
  napi_property_descriptor p[] = {
      {"teamObserve", NULL, js_team_observe, NULL, NULL, NULL, napi_enumerable, NULL},
      {"teamSmall", NULL, js_team_small, NULL, NULL, NULL, napi_enumerable, NULL},
      {"teamPolicyReset", NULL, js_team_policy_reset, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof p / sizeof p[0], p);
}
