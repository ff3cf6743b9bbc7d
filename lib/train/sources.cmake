# lib/train: recipes, schedules, the training loop and metrics.
set(SIGNSNET_TRAIN_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/train/evaluate.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/train/metrics.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/train/recipes.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/train/schedule.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/train/train_config_json.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/train/trainer.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/train/trainer_loop.cpp)
list(APPEND SIGNSNET_SOURCES ${SIGNSNET_TRAIN_SOURCES})

# nlohmann_json is header-only and used only inside these sources (JSON of configs and metrics),
# so its include folder is attached to them rather than to the library target.
find_package(nlohmann_json 3 CONFIG REQUIRED)
get_target_property(SIGNSNET_JSON_INCLUDES nlohmann_json::nlohmann_json INTERFACE_INCLUDE_DIRECTORIES)
# A system folder (/usr/include) must not become a -I flag: it would break #include_next.
list(REMOVE_ITEM SIGNSNET_JSON_INCLUDES ${CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES})
if(SIGNSNET_JSON_INCLUDES)
  set_property(SOURCE ${SIGNSNET_TRAIN_SOURCES} APPEND PROPERTY
    INCLUDE_DIRECTORIES ${SIGNSNET_JSON_INCLUDES})
endif()
