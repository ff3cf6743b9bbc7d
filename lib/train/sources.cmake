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
# Their JSON (configs, metrics) uses nlohmann_json: lib/CMakeLists.txt attaches its headers.
list(APPEND SIGNSNET_JSON_SOURCES ${SIGNSNET_TRAIN_SOURCES})
