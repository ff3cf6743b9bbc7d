# tests/train: recipes, schedules, metrics and the training loop on a tiny model.
signsnet_add_test_binary(signsnet_train_tests
  ${CMAKE_CURRENT_SOURCE_DIR}/train/config_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/train/metrics_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/train/schedule_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/train/trainer_test.cpp)
find_package(nlohmann_json 3 CONFIG REQUIRED)
target_link_libraries(signsnet_train_tests PRIVATE nlohmann_json::nlohmann_json)
